/// The outcome of one RPC, carried in the `grpc-status` / `grpc-message` trailers.
///
/// `code` is a plain integer so the service layer can use its own table of codes; the
/// constants below are the ones this transport produces by itself.
public struct GRPCStatus: Error, Sendable, Equatable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(code: 0, message: "")
}

extension GRPCStatus {
    /// Status codes the transport itself answers with (numbering fixed by the gRPC spec).
    enum Code {
        static let cancelled = 1
        static let deadlineExceeded = 4
        static let resourceExhausted = 8
        static let unimplemented = 12
        static let `internal` = 13
    }
}
