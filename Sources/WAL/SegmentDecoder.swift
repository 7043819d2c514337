/// Where a segment's good data ends, as `SegmentDecoder` found it.
struct SegmentEnd {
    /// Bytes from the start of the file to the end of the last good record.
    var validLength: Int
    /// The checksum of the last good record: what the next record must link to.
    var lastChecksum: UInt32
    /// Set when the segment ends in a torn tail that must be cut off before appending.
    var tear: Tear?

    struct Tear {
        var problem: RecordProblem
        /// From `validLength` through the last non-zero byte of the file.
        var discardedBytes: Int
    }
}

/// Verifies one segment: every frame, the chain through them, the three header records, and what
/// the first frame that does not verify means (docs/storage-format.md, "Torn tail versus
/// corruption in the middle").
struct SegmentDecoder {
    /// crc carry, metadata, and a snapshot marker (segment 0) or hard state (later segments).
    static let headerRecordCount = 3

    let bytes: [UInt8]
    let name: SegmentName
    /// How errors name the file.
    let label: String
    /// Only the last segment may end in a torn write; it is the only one written since a crash.
    let isLast: Bool

    /// Hands each good record and its offset to `visit`, in order. `previousChecksum` is what the
    /// segment's crc carry must link to, or nil when the segment before it was not read.
    func decode(linkingTo previousChecksum: UInt32?, visit: (LogRecord, Int) throws -> Void) throws -> SegmentEnd {
        var offset = 0
        var recordCount = 0
        var expectedPrevious = previousChecksum
        var lastChecksum: UInt32 = 0
        while offset < bytes.count {
            let frame: RecordFrame.Verified
            switch RecordFrame.verify(bytes, at: offset) {
            case let .verified(verified): frame = verified
            case let .rejected(problem): return try end(at: offset, recordCount: recordCount, lastChecksum: lastChecksum, problem: problem)
            }
            if let expectedPrevious, frame.previousChecksum != expectedPrevious {
                throw corrupt(at: offset, .brokenChain)
            }
            guard let record = LogRecord(type: frame.type, payload: bytes[frame.payload]) else {
                throw corrupt(at: offset, .malformedPayload)
            }
            try checkPlace(of: record, position: recordCount, offset: offset)
            try visit(record, offset)
            expectedPrevious = frame.checksum
            lastChecksum = frame.checksum
            recordCount += 1
            offset += frame.size
        }
        return try end(at: offset, recordCount: recordCount, lastChecksum: lastChecksum, problem: .truncated)
    }

    private func checkPlace(of record: LogRecord, position: Int, offset: Int) throws {
        let expected: RecordType? = switch position {
        case 0: .crcCarry
        case 1: .metadata
        case 2: name.sequence == 0 ? .snapshotMarker : .hardState
        default: nil
        }
        if let expected, record.type != expected { throw corrupt(at: offset, .badSegmentHeader) }
        if expected == nil, record.type == .crcCarry { throw corrupt(at: offset, .misplacedCrcCarry) }
    }

    /// Decides what the data ending at `offset` means: a clean end (nothing but zeros after it),
    /// a torn tail (last segment, nothing after it verifies), or corruption.
    private func end(at offset: Int, recordCount: Int, lastChecksum: UInt32, problem: RecordProblem) throws -> SegmentEnd {
        var tear: SegmentEnd.Tear?
        if let lastNonZero = lastNonZeroByte(), lastNonZero >= offset {
            guard isLast, recordCount >= Self.headerRecordCount, !containsVerifiedFrame(after: offset, through: lastNonZero) else {
                throw corrupt(at: offset, problem)
            }
            tear = SegmentEnd.Tear(problem: problem, discardedBytes: lastNonZero + 1 - offset)
        }
        guard recordCount >= Self.headerRecordCount else { throw corrupt(at: offset, .badSegmentHeader) }
        return SegmentEnd(validLength: offset, lastChecksum: lastChecksum, tear: tear)
    }

    /// Whether any 8-byte-aligned offset after `offset` holds a frame that verifies on its own —
    /// proof that the bad frame at `offset` is not the end of what was written.
    private func containsVerifiedFrame(after offset: Int, through lastNonZero: Int) -> Bool {
        var candidate = offset + RecordFrame.alignment
        while candidate <= lastNonZero {
            if case .verified = RecordFrame.verify(bytes, at: candidate) { return true }
            candidate += RecordFrame.alignment
        }
        return false
    }

    /// The index of the last byte that is not zero, found a word at a time: a preallocated
    /// segment is mostly zeros.
    private func lastNonZeroByte() -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            var end = raw.count
            while end >= 8, raw.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self) == 0 { end -= 8 }
            while end > 0, raw[end - 1] == 0 { end -= 1 }
            return end == 0 ? nil : end - 1
        }
    }

    private func corrupt(at offset: Int, _ problem: RecordProblem) -> WALError {
        .corruptRecord(file: label, offset: offset, problem: problem)
    }
}
