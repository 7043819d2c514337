import NIOConcurrencyHelpers

/// Wraps a request's reply so that only the first call is sent; the handler is told to call it
/// exactly once, and a second answer on the wire would confuse the requester.
final class ReplyOnce: Sendable {
    private let isUsed = NIOLockedValueBox(false)
    private let send: @Sendable (PeerReply) -> Void

    init(_ send: @escaping @Sendable (PeerReply) -> Void) {
        self.send = send
    }

    func callAsFunction(_ reply: PeerReply) {
        let first = isUsed.withLockedValue { isUsed in
            defer { isUsed = true }
            return !isUsed
        }
        if first {
            send(reply)
        }
    }
}
