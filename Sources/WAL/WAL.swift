import Glibc
import Raft

/// The write-ahead log of a member: hard states, entries and snapshot markers in segment files
/// under `<data-dir>/member/wal` (docs/storage-format.md).
///
/// Saving only encodes records into memory; `sync()` writes them all with one write and one
/// fdatasync (group commit). Nothing that depends on a saved record may leave the member before
/// the `sync()` covering it returned. If a write, a sync or a segment cut fails, that call throws
/// and every later call throws `WALError.unusable`: the server must stop and let recovery on
/// restart decide what reached the disk.
///
/// No clock, no threads: one owner (the server's Raft loop) calls it.
public final class WAL {
    private let fileSystem: FileSystem
    private let layout: DataDirectoryLayout
    private let options: WALOptions
    private let metadata: [UInt8]
    /// Every segment file kept, oldest first. The last is the tail, the only one written to.
    private var segments: [SegmentName]
    private var tail: DiskFile
    /// How many bytes of the tail hold records: where the next write goes.
    private var tailLength: Int
    /// How many bytes of the tail have been written at least once (records or zeros); see
    /// `initializeTail(through:)`.
    private var initializedLength: Int
    /// Records saved but not yet written.
    private var pending: RecordEncoder
    /// The newest hard state saved; every new segment starts with it.
    private var hardState: HardState
    /// The index of the last entry saved, or of a later snapshot marker; names the next segment.
    public private(set) var lastIndex: UInt64
    /// The newest snapshot marker among the pending records, and among those synced.
    private var pendingMarkerIndex: UInt64 = 0
    private var syncedMarkerIndex: UInt64
    /// Why the WAL became unusable, once it has.
    private var failure: String?

    private init(
        fileSystem: FileSystem, layout: DataDirectoryLayout, options: WALOptions, metadata: [UInt8],
        segments: [SegmentName], tail: DiskFile, tailLength: Int, lastChecksum: UInt32,
        hardState: HardState, lastIndex: UInt64, syncedMarkerIndex: UInt64
    ) {
        self.fileSystem = fileSystem
        self.layout = layout
        self.options = options
        self.metadata = metadata
        self.segments = segments
        self.tail = tail
        self.tailLength = tailLength
        self.initializedLength = tailLength
        self.pending = RecordEncoder(lastChecksum: lastChecksum)
        self.hardState = hardState
        self.lastIndex = lastIndex
        self.syncedMarkerIndex = syncedMarkerIndex
    }

    /// The segment files kept, oldest first.
    public var segmentFileNames: [String] { segments.map(\.description) }

    // MARK: Creating and opening

    /// Whether the data directory holds any WAL segment.
    public static func exists(dataDirectory: String, fileSystem: FileSystem) throws -> Bool {
        try !SegmentListing(fileSystem: fileSystem, layout: DataDirectoryLayout(dataDirectory: dataDirectory)).segments.isEmpty
    }

    /// Starts a new log whose segments all carry `metadata`. The first segment appears whole or
    /// not at all: it is written under a temporary name, synced, and renamed.
    public static func create(
        dataDirectory: String, metadata: [UInt8], fileSystem: FileSystem, options: WALOptions = WALOptions()
    ) throws -> WAL {
        guard metadata.count <= RecordFrame.maxPayloadBytes else {
            throw WALError.recordTooLarge(bytes: metadata.count, limit: RecordFrame.maxPayloadBytes)
        }
        let layout = DataDirectoryLayout(dataDirectory: dataDirectory)
        try fileSystem.createDirectory(atPath: layout.walDirectory)
        let listing = try SegmentListing(fileSystem: fileSystem, layout: layout)
        guard listing.segments.isEmpty else { throw WALError.alreadyExists(directory: layout.walDirectory) }
        try removeTemporaryFiles(listing, fileSystem: fileSystem, layout: layout)

        let name = SegmentName(sequence: 0, firstIndex: 0)
        var header = RecordEncoder(lastChecksum: 0)
        header.append(.crcCarry)
        header.append(.metadata(metadata))
        header.append(.snapshotMarker(.initial))
        let tail = try writeSegment(name, header: header.bytes, fileSystem: fileSystem, layout: layout, options: options)
        // The WAL directory itself must survive a crash too, not only its file.
        try fileSystem.syncDirectory(atPath: layout.memberDirectory)
        try fileSystem.syncDirectory(atPath: layout.dataDirectory)
        return WAL(
            fileSystem: fileSystem, layout: layout, options: options, metadata: metadata,
            segments: [name], tail: tail, tailLength: header.bytes.count, lastChecksum: header.lastChecksum,
            hardState: HardState(), lastIndex: 0, syncedMarkerIndex: 0
        )
    }

    /// Reads the log from the marker of the snapshot the server loaded (`.initial` if none),
    /// verifying everything after it, repairs a torn tail, and returns the WAL ready to append
    /// after the last good record together with what it read.
    public static func open(
        dataDirectory: String, at start: SnapshotMarker, fileSystem: FileSystem, options: WALOptions = WALOptions()
    ) throws -> (wal: WAL, replay: WALReplay) {
        let layout = DataDirectoryLayout(dataDirectory: dataDirectory)
        let listing = try SegmentListing(fileSystem: fileSystem, layout: layout)
        guard let tailName = listing.segments.last else { throw WALError.notFound(directory: layout.walDirectory) }
        try removeTemporaryFiles(listing, fileSystem: fileSystem, layout: layout)
        // Every entry after the snapshot, and its marker, is in this segment or a later one.
        guard let first = listing.segments.lastIndex(where: { $0.firstIndex <= start.index }) else {
            throw WALError.snapshotBeforeLog(start, oldestSegment: layout.walLabel(listing.segments[0].description))
        }

        var replay = LogReplay(start: start)
        let end = try LogReader(fileSystem: fileSystem, layout: layout).read(listing.segments[first...], into: &replay)

        // Everything is verified before the tail is touched.
        var result = try replay.finish()
        let tail = try fileSystem.openFile(atPath: layout.walPath(tailName.description))
        if let tear = end.tear {
            try tail.truncate(toSize: end.validLength)
            if options.preallocatesSegments { try tail.preallocate(toSize: options.segmentSizeBytes) }
            try tail.syncData()
            result.tailRepair = TailRepair(
                file: layout.walLabel(tailName.description), offset: end.validLength,
                discardedBytes: tear.discardedBytes, problem: tear.problem
            )
        }
        let wal = WAL(
            fileSystem: fileSystem, layout: layout, options: options, metadata: result.metadata,
            segments: listing.segments, tail: tail, tailLength: end.validLength, lastChecksum: end.lastChecksum,
            hardState: result.hardState, lastIndex: replay.lastIndex, syncedMarkerIndex: replay.newestMarkerIndex
        )
        return (wal, result)
    }

    /// The snapshot markers in the log whose index the newest hard state has committed, oldest
    /// first: the snapshots the server may start from (docs: "Startup"). Reads without changing
    /// anything; a torn tail is read up to the tear.
    public static func snapshotMarkers(dataDirectory: String, fileSystem: FileSystem) throws -> [SnapshotMarker] {
        let layout = DataDirectoryLayout(dataDirectory: dataDirectory)
        let segments = try SegmentListing(fileSystem: fileSystem, layout: layout).segments
        guard !segments.isEmpty else { throw WALError.notFound(directory: layout.walDirectory) }
        // Read the consecutive run ending at the tail; a file below a gap is a leftover whose
        // removal a crash undid.
        var first = segments.count - 1
        while first > 0, segments[first - 1].sequence + 1 == segments[first].sequence { first -= 1 }
        var collector = SnapshotMarkerCollector()
        _ = try LogReader(fileSystem: fileSystem, layout: layout).read(segments[first...], into: &collector)
        return collector.committedMarkers
    }

    // MARK: Appending

    /// Adds entries, then the hard state, to the next `sync()`. An empty hard state means
    /// "unchanged", and an unchanged one is not written again. `entries` must be consecutive and
    /// start at most one past `lastIndex` (earlier indices replace what was there); entries that
    /// follow a snapshot come after its `saveSnapshotMarker`.
    public func save(hardState newHardState: HardState, entries: [Entry]) throws {
        try checkUsable()
        if let first = entries.first {
            precondition(first.index <= lastIndex + 1, "entry \(first.index) would leave a gap after \(lastIndex)")
            for (previous, next) in zip(entries, entries.dropFirst()) {
                precondition(next.index == previous.index + 1, "entries in one save must be consecutive")
            }
        }
        for entry in entries where LogRecord.entryFieldsCount + entry.data.count > RecordFrame.maxPayloadBytes {
            throw WALError.recordTooLarge(bytes: LogRecord.entryFieldsCount + entry.data.count, limit: RecordFrame.maxPayloadBytes)
        }
        // Entries before the hard state: a hard state on disk never commits an entry that is not.
        for entry in entries {
            pending.append(.entry(entry))
        }
        if let last = entries.last { lastIndex = last.index }
        if newHardState != HardState(), newHardState != hardState {
            pending.append(.hardState(newHardState))
            hardState = newHardState
        }
    }

    /// Records, with the next `sync()`, that a snapshot at this position has been saved. Save the
    /// snapshot file first, so a marker never names a snapshot that is not on disk.
    public func saveSnapshotMarker(_ marker: SnapshotMarker) throws {
        try checkUsable()
        pending.append(.snapshotMarker(marker))
        lastIndex = max(lastIndex, marker.index)
        pendingMarkerIndex = max(pendingMarkerIndex, marker.index)
    }

    /// Writes every pending record with one write and one fdatasync, then cuts a new segment if
    /// the tail has reached the size limit. A failure leaves the WAL unusable.
    public func sync() throws {
        try checkUsable()
        do {
            if !pending.bytes.isEmpty {
                if options.preallocatesSegments { try initializeTail(through: tailLength + pending.bytes.count) }
                try tail.write(pending.bytes, at: tailLength)
                try tail.syncData()
                tailLength += pending.bytes.count
                pending.removeBytes()
                syncedMarkerIndex = max(syncedMarkerIndex, pendingMarkerIndex)
                pendingMarkerIndex = 0
            }
            if tailLength >= options.segmentSizeBytes { try cutSegment() }
        } catch {
            failure = "\(error)"
            throw error
        }
    }

    /// Starts the next segment after a sync: header records in a temporary file, synced, renamed.
    private func cutSegment() throws {
        precondition(pending.bytes.isEmpty, "a segment is cut only when everything is written")
        let name = SegmentName(sequence: segments.last!.sequence + 1, firstIndex: lastIndex + 1)
        var header = RecordEncoder(lastChecksum: pending.lastChecksum)
        header.append(.crcCarry)
        header.append(.metadata(metadata))
        header.append(.hardState(hardState))
        tail = try Self.writeSegment(name, header: header.bytes, fileSystem: fileSystem, layout: layout, options: options)
        segments.append(name)
        tailLength = header.bytes.count
        initializedLength = tailLength
        pending = RecordEncoder(lastChecksum: header.lastChecksum)
    }

    /// Space reserved by fallocate reads as zeros but is marked unwritten, and an fdatasync
    /// after the first write into it must also write that change of the file's metadata: on
    /// ext4 a second disk write per sync (measured here: 155 µs per 2 KiB append + sync, against
    /// 110 µs into space written before). So zeros are written ahead of the records, a step at
    /// a time, and only every step's first sync pays for it.
    private func initializeTail(through end: Int) throws {
        guard end > initializedLength else { return }
        let target = max(end, min(initializedLength + Self.initializeStep, options.segmentSizeBytes))
        while initializedLength < target {
            let count = min(Self.zeros.count, target - initializedLength)
            try tail.write(count == Self.zeros.count ? Self.zeros : Array(Self.zeros[..<count]), at: initializedLength)
            initializedLength += count
        }
    }

    private static let initializeStep = 1 << 20
    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

    // MARK: Retention

    /// Removes segments that replay from the snapshot at `index` no longer reads, oldest first,
    /// while more than `maxWALs` remain. The snapshot's marker must have been synced. A removal
    /// failure throws but leaves the WAL usable.
    public func releaseTo(_ index: UInt64) throws {
        try checkUsable()
        precondition(index <= syncedMarkerIndex, "release to \(index) before a snapshot marker that far was synced")
        guard options.maxWALs > 0 else { return }
        let firstNeeded = segments.lastIndex(where: { $0.firstIndex <= index }) ?? 0
        let removable = min(firstNeeded, segments.count - options.maxWALs)
        guard removable > 0 else { return }
        for _ in 0..<removable {
            do {
                try fileSystem.removeFile(atPath: layout.walPath(segments[0].description))
            } catch WALError.fileSystem(_, _, ENOENT) {
                // Already gone: what removing wanted.
            }
            segments.removeFirst()
        }
    }

    // MARK: Helpers

    private func checkUsable() throws {
        if let failure { throw WALError.unusable(cause: failure) }
    }

    private static func writeSegment(
        _ name: SegmentName, header: [UInt8], fileSystem: FileSystem, layout: DataDirectoryLayout, options: WALOptions
    ) throws -> DiskFile {
        let path = layout.walPath(name.description)
        let temporaryPath = path + temporaryFileSuffix
        let file = try fileSystem.createFile(atPath: temporaryPath)
        if options.preallocatesSegments { try file.preallocate(toSize: options.segmentSizeBytes) }
        try file.write(header, at: 0)
        try file.syncData()
        try fileSystem.rename(atPath: temporaryPath, toPath: path)
        try fileSystem.syncDirectory(atPath: layout.walDirectory)
        return file
    }

    private static func removeTemporaryFiles(_ listing: SegmentListing, fileSystem: FileSystem, layout: DataDirectoryLayout) throws {
        for name in listing.temporaryFiles {
            try fileSystem.removeFile(atPath: layout.walPath(name))
        }
    }
}
