import NIOCore

/// The chunks of one incoming snapshot, gathered into the bytes handed to the server.
struct SnapshotAssembly {
    let totalBytes: Int
    private(set) var bytes: [UInt8]

    /// `totalBytes` was checked against the snapshot limit, so reserving it all at once is safe
    /// and spares the copies of a growing array.
    init(totalBytes: Int) {
        self.totalBytes = totalBytes
        self.bytes = []
        bytes.reserveCapacity(totalBytes)
    }

    var isComplete: Bool { bytes.count == totalBytes }

    mutating func append(_ chunk: ByteBuffer) throws(PeerProtocolError) {
        guard chunk.readableBytes <= totalBytes - bytes.count else {
            throw .malformed("snapshot chunk (more bytes than announced)")
        }
        chunk.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
    }
}
