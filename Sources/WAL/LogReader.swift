/// Something that consumes the records of consecutive segments as `LogReader` reads them.
protocol LogVisitor {
    /// Called before the first record of each segment.
    mutating func beginSegment(_ name: SegmentName, label: String, isFirstRead: Bool) throws
    mutating func visit(_ record: LogRecord, offset: Int, label: String) throws
}

/// Reads segments in order, one file in memory at a time, verifying each (`SegmentDecoder`) and
/// the chain from each segment into the next.
struct LogReader {
    let fileSystem: FileSystem
    let layout: DataDirectoryLayout

    /// Returns where the last segment's good data ends. `segments` must be sorted by sequence.
    func read<Visitor: LogVisitor>(_ segments: ArraySlice<SegmentName>, into visitor: inout Visitor) throws -> SegmentEnd {
        precondition(!segments.isEmpty)
        var previous: (name: SegmentName, end: SegmentEnd)?
        for name in segments {
            if let previous, previous.name.sequence + 1 != name.sequence {
                throw WALError.missingSegment(before: layout.walLabel(previous.name.description), after: layout.walLabel(name.description))
            }
            let label = layout.walLabel(name.description)
            let decoder = SegmentDecoder(
                bytes: try fileSystem.readFile(atPath: layout.walPath(name.description)),
                name: name,
                label: label,
                isLast: name == segments.last
            )
            try visitor.beginSegment(name, label: label, isFirstRead: previous == nil)
            // Segment 0 links to nothing (0); a later one to the segment before it, if that was read.
            let link: UInt32? = name.sequence == 0 ? 0 : previous?.end.lastChecksum
            let end = try decoder.decode(linkingTo: link) { record, offset in
                try visitor.visit(record, offset: offset, label: label)
            }
            previous = (name, end)
        }
        return previous!.end
    }
}

/// The segment files and leftover temporary files in a WAL directory.
struct SegmentListing {
    /// Sorted by sequence.
    var segments: [SegmentName]
    var temporaryFiles: [String]

    init(fileSystem: FileSystem, layout: DataDirectoryLayout) throws {
        guard fileSystem.exists(atPath: layout.walDirectory) else {
            segments = []
            temporaryFiles = []
            return
        }
        let names = try fileSystem.contentsOfDirectory(atPath: layout.walDirectory)
        segments = names.compactMap(SegmentName.init(parsing:)).sorted()
        temporaryFiles = names.filter { $0.hasSuffix(temporaryFileSuffix) }
    }
}
