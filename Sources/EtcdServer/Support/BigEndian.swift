/// 64-bit words as 8 big-endian bytes: how the server writes IDs into log entries, snapshot
/// data and peer requests, and how hashes turn into IDs.
enum BigEndian {
    static func bytes(_ word: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64($0))) }
    }

    /// The word in the first 8 bytes of `bytes` (which must hold at least 8).
    static func word<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
