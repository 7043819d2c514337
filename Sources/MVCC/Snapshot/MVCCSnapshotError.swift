/// Why bytes could not be restored as a store: what is wrong and where.
public struct MVCCSnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The bytes do not start with the snapshot magic.
        case notASnapshot
        /// A format version this build does not read.
        case unsupportedVersion
        /// Fewer or more bytes than the header says the snapshot has.
        case wrongLength
        /// The checksum at the end does not match the bytes: they were damaged.
        case checksumMismatch
        /// The checksum matches but the content breaks the format's rules (a bug in the writer,
        /// or bytes built to look like a snapshot).
        case malformed
    }

    public let kind: Kind
    /// The byte offset the problem was found at.
    public let offset: Int
    public let message: String

    init(_ kind: Kind, at offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { "mvcc snapshot: \(message) (at byte \(offset))" }
}
