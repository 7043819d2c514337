import Glibc

/// Everything the WAL, the snapshotter and the file systems under them throw. Each description
/// is a sentence for an operator: what is wrong and where. File names in corruption errors are
/// relative to the data directory.
public enum WALError: Error, Equatable, CustomStringConvertible {
    /// A file-system call failed with the POSIX error number `errno`.
    case fileSystem(operation: String, path: String, errno: Int32)
    /// `WAL.create` found segment files already in the directory.
    case alreadyExists(directory: String)
    /// `WAL.open` found no segment files in the directory.
    case notFound(directory: String)
    /// A record failed verification where a torn tail is impossible or valid records follow it.
    case corruptRecord(file: String, offset: Int, problem: RecordProblem)
    /// Segment sequence numbers jump: a segment between these two is missing.
    case missingSegment(before: String, after: String)
    /// A segment's name says the log ended at one index, but the log before it ended elsewhere.
    case segmentIndexMismatch(file: String, nameSays: UInt64, logSays: UInt64)
    /// An entry's index is more than one past the log before it.
    case indexGap(file: String, offset: Int, expectedAtMost: UInt64, found: UInt64)
    /// Two metadata records in the log disagree.
    case metadataConflict(file: String, offset: Int)
    /// The snapshot to replay from is older than the oldest segment kept.
    case snapshotBeforeLog(SnapshotMarker, oldestSegment: String)
    /// No snapshot marker with the requested index and term is in the log.
    case snapshotMarkerNotFound(SnapshotMarker)
    /// The log has a marker at the requested index but with another term.
    case snapshotTermMismatch(file: String, offset: Int, requested: SnapshotMarker, foundTerm: UInt64)
    /// A record's payload exceeds the format's limit.
    case recordTooLarge(bytes: Int, limit: Int)
    /// An earlier write, sync or segment cut failed; nothing more may be written.
    case unusable(cause: String)
    /// A snapshot file failed its checks.
    case corruptSnapshot(file: String, problem: String)

    public var description: String {
        switch self {
        case let .fileSystem(operation, path, errno):
            return "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case let .alreadyExists(directory):
            return "wal: \(directory) already holds a write-ahead log"
        case let .notFound(directory):
            return "wal: no write-ahead log segments in \(directory)"
        case let .corruptRecord(file, offset, problem):
            return "wal: corrupt record at \(file) offset \(offset): \(problem)"
        case let .missingSegment(before, after):
            return "wal: segment missing between \(before) and \(after): sequence numbers must be consecutive"
        case let .segmentIndexMismatch(file, nameSays, logSays):
            return "wal: \(file) was cut after index \(nameSays) but the log before it ends at index \(logSays)"
        case let .indexGap(file, offset, expectedAtMost, found):
            return "wal: entry index gap at \(file) offset \(offset): expected index at most \(expectedAtMost), found \(found)"
        case let .metadataConflict(file, offset):
            return "wal: metadata at \(file) offset \(offset) differs from the metadata before it"
        case let .snapshotBeforeLog(marker, oldestSegment):
            return "wal: snapshot at index \(marker.index) is older than the oldest segment kept (\(oldestSegment))"
        case let .snapshotMarkerNotFound(marker):
            return "wal: no snapshot marker for index \(marker.index), term \(marker.term) in the log"
        case let .snapshotTermMismatch(file, offset, requested, foundTerm):
            return "wal: snapshot marker at \(file) offset \(offset) has index \(requested.index) with term \(foundTerm), expected term \(requested.term)"
        case let .recordTooLarge(bytes, limit):
            return "wal: record payload of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case let .unusable(cause):
            return "wal: unusable after an earlier failure (\(cause)); the server must stop and recover on restart"
        case let .corruptSnapshot(file, problem):
            return "snap: corrupt snapshot file \(file): \(problem)"
        }
    }
}

/// Why a record failed verification.
public enum RecordProblem: Equatable, CustomStringConvertible {
    /// The frame runs past the end of the file.
    case truncated
    case unknownType(UInt8)
    case reservedBytesNotZero
    case checksumMismatch
    /// The frame verifies but does not link to the record before it.
    case brokenChain
    /// A crc carry somewhere other than the start of a segment.
    case misplacedCrcCarry
    /// The segment does not begin with crc carry, metadata, and a hard state or snapshot marker.
    case badSegmentHeader
    /// The frame verifies but its payload has the wrong shape for its type.
    case malformedPayload

    public var description: String {
        switch self {
        case .truncated: return "record runs past the end of the file"
        case let .unknownType(type): return "unknown record type \(type)"
        case .reservedBytesNotZero: return "reserved header bytes are not zero"
        case .checksumMismatch: return "crc mismatch"
        case .brokenChain: return "crc chain broken: the record does not follow the one before it"
        case .misplacedCrcCarry: return "crc-carry record in the middle of a segment"
        case .badSegmentHeader: return "segment does not begin with crc carry, metadata, and a hard state or snapshot marker"
        case .malformedPayload: return "payload does not match its record type"
        }
    }
}
