import Raft

/// What `WAL.open` read back: everything Raft needs to restart from the snapshot it was given.
public struct WALReplay: Equatable {
    /// The bytes given to `WAL.create` (the server's member and cluster ID).
    public var metadata: [UInt8]
    /// The newest hard state saved (empty if none was).
    public var hardState: HardState
    /// The entries after the snapshot index, consecutive, as last written.
    public var entries: [Entry]
    /// Set when a torn tail was cut off the last segment; the server should log it.
    public var tailRepair: TailRepair?
}

/// A torn tail that opening removed: the bad record's place and what was thrown away.
public struct TailRepair: Equatable, CustomStringConvertible {
    /// Relative to the data directory.
    public var file: String
    /// Where the last good record ends and appending continues.
    public var offset: Int
    /// From `offset` through the last non-zero byte that was there.
    public var discardedBytes: Int
    public var problem: RecordProblem

    public var description: String {
        "wal: repaired torn tail of \(file): dropped \(discardedBytes) bytes from offset \(offset) (\(problem))"
    }
}

/// Rebuilds the log from the records after a snapshot marker (docs/storage-format.md, "Opening
/// and replay"), checking that entry indices never jump.
struct LogReplay: LogVisitor {
    let start: SnapshotMarker
    private var metadata: [UInt8]?
    private var hardState = HardState()
    /// Entries `start.index + 1`, `start.index + 2`, ….
    private var entries: [Entry] = []
    /// The index of the last entry read, or of a later snapshot marker (see the format doc).
    private(set) var lastIndex: UInt64 = 0
    private(set) var newestMarkerIndex: UInt64 = 0
    private var foundStart = false

    init(start: SnapshotMarker) {
        self.start = start
    }

    mutating func beginSegment(_ name: SegmentName, label: String, isFirstRead: Bool) throws {
        // A segment is named after the last index when it was cut; the log read so far must agree.
        let lastIndexAtCut = name.firstIndex == 0 ? 0 : name.firstIndex - 1
        if isFirstRead {
            lastIndex = lastIndexAtCut
        } else if lastIndex != lastIndexAtCut {
            throw WALError.segmentIndexMismatch(file: label, nameSays: lastIndexAtCut, logSays: lastIndex)
        }
    }

    mutating func visit(_ record: LogRecord, offset: Int, label: String) throws {
        switch record {
        case let .metadata(bytes):
            if let metadata, metadata != bytes { throw WALError.metadataConflict(file: label, offset: offset) }
            metadata = bytes
        case let .entry(entry):
            try append(entry, offset: offset, label: label)
        case let .hardState(state):
            hardState = state
        case let .snapshotMarker(marker):
            if marker.index == start.index {
                guard marker.term == start.term else {
                    throw WALError.snapshotTermMismatch(file: label, offset: offset, requested: start, foundTerm: marker.term)
                }
                foundStart = true
            }
            lastIndex = max(lastIndex, marker.index)
            newestMarkerIndex = max(newestMarkerIndex, marker.index)
        case .crcCarry:
            break
        }
    }

    /// An entry at an index already in the list replaces it and everything after it: a new
    /// leader overwrote this member's uncommitted tail.
    private mutating func append(_ entry: Entry, offset: Int, label: String) throws {
        guard entry.index <= lastIndex + 1 else {
            throw WALError.indexGap(file: label, offset: offset, expectedAtMost: lastIndex + 1, found: entry.index)
        }
        lastIndex = entry.index
        guard entry.index > start.index else { return }
        let position = entry.index - start.index - 1
        // Past the list's end only when a later snapshot marker skipped ahead of it: replaying
        // from this snapshot cannot fill the gap.
        guard position <= UInt64(entries.count) else {
            throw WALError.indexGap(file: label, offset: offset, expectedAtMost: start.index + UInt64(entries.count) + 1, found: entry.index)
        }
        entries.removeSubrange(Int(position)...)
        entries.append(entry)
    }

    /// The replay, once every segment was read; fails if the snapshot marker was never found.
    func finish() throws -> WALReplay {
        guard foundStart else { throw WALError.snapshotMarkerNotFound(start) }
        guard let metadata else { preconditionFailure("every segment header holds metadata") }
        return WALReplay(metadata: metadata, hardState: hardState, entries: entries, tailRepair: nil)
    }
}

/// Collects the snapshot markers in the log and the newest hard state, for `WAL.snapshotMarkers`.
struct SnapshotMarkerCollector: LogVisitor {
    private var markers: [SnapshotMarker] = []
    private var hardState = HardState()

    /// The markers whose index the newest hard state has committed, oldest first.
    var committedMarkers: [SnapshotMarker] { markers.filter { $0.index <= hardState.commit } }

    mutating func beginSegment(_ name: SegmentName, label: String, isFirstRead: Bool) throws {}

    mutating func visit(_ record: LogRecord, offset: Int, label: String) throws {
        switch record {
        case let .snapshotMarker(marker): markers.append(marker)
        case let .hardState(state): hardState = state
        case .metadata, .entry, .crcCarry: break
        }
    }
}
