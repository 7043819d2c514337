/// Why bytes could not be restored as a lessor: what is wrong and where.
public struct LessorSnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The bytes do not start with the lessor snapshot magic.
        case notASnapshot
        /// A format version this build does not read.
        case unsupportedVersion
        /// Not the length the lease count calls for.
        case wrongLength
        /// The checksum at the end does not match the bytes: they were damaged.
        case checksumMismatch
        /// The checksum matches but the content breaks the format's rules.
        case malformed
        /// A key of the store restored beside it carries a lease the snapshot does not hold: the
        /// two snapshots are not of the same applied state.
        case unknownLease
    }

    public let kind: Kind
    /// The byte offset the problem was found at (0 for `unknownLease`).
    public let offset: Int
    public let message: String

    init(_ kind: Kind, at offset: Int, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { "lessor snapshot: \(message) (at byte \(offset))" }
}
