import Checksum

/// The frame every WAL record is stored in (docs/storage-format.md, "Records"):
///
///     0  payload length N (4)   4  type (1)   5  zero (3)
///     8  previous record's checksum (4)       12  checksum (4)
///     16 payload (N), then zeros up to a multiple of 8
///
/// The checksum is CRC-32C over bytes 0..<12 and 16..<end, so each frame verifies on its own
/// while the previous-checksum field chains it to the record before.
enum RecordFrame {
    static let headerSize = 16
    /// Frames start and end on multiples of this, so the first 8 header bytes never straddle a sector.
    static let alignment = 8
    /// The largest payload written or accepted; far above any entry Raft sends.
    static let maxPayloadBytes = 64 << 20

    static let typeOffset = 4
    static let previousChecksumOffset = 8
    static let checksumOffset = 12

    static func size(payloadCount: Int) -> Int {
        let unpadded = headerSize + payloadCount
        return (unpadded + alignment - 1) / alignment * alignment
    }

    /// The checksum of the frame occupying all of `frame`.
    static func checksum(of frame: UnsafeRawBufferPointer) -> UInt32 {
        let header = UnsafeRawBufferPointer(rebasing: frame[0..<checksumOffset])
        let body = UnsafeRawBufferPointer(rebasing: frame[headerSize...])
        return CRC32C.update(CRC32C.update(0, header), body)
    }

    /// A frame found in a segment that verified on its own.
    struct Verified {
        var type: RecordType
        var payload: Range<Int>
        var previousChecksum: UInt32
        var checksum: UInt32
        var size: Int
    }

    enum Verification {
        case verified(Verified)
        case rejected(RecordProblem)
    }

    /// Verifies the frame starting at `offset`: either it is whole and its checksum matches, or
    /// the first reason it is not.
    static func verify(_ bytes: [UInt8], at offset: Int) -> Verification {
        precondition(offset % alignment == 0)
        let available = bytes.count - offset
        guard available >= headerSize else { return .rejected(.truncated) }
        // The type is checked first: it rejects zeros, the common case when scanning, cheapest.
        guard let type = RecordType(rawValue: bytes[offset + typeOffset]) else {
            return .rejected(.unknownType(bytes[offset + typeOffset]))
        }
        guard bytes[offset + 5] == 0, bytes[offset + 6] == 0, bytes[offset + 7] == 0 else {
            return .rejected(.reservedBytesNotZero)
        }
        let payloadCount = Int(bytes.loadLittleEndian(UInt32.self, at: offset))
        guard payloadCount <= maxPayloadBytes, size(payloadCount: payloadCount) <= available else {
            return .rejected(.truncated)
        }
        let frameSize = size(payloadCount: payloadCount)
        let stored = bytes.loadLittleEndian(UInt32.self, at: offset + checksumOffset)
        let computed = bytes.withUnsafeBytes { checksum(of: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + frameSize)])) }
        guard computed == stored else { return .rejected(.checksumMismatch) }
        return .verified(Verified(
            type: type,
            payload: (offset + headerSize)..<(offset + headerSize + payloadCount),
            previousChecksum: bytes.loadLittleEndian(UInt32.self, at: offset + previousChecksumOffset),
            checksum: stored,
            size: frameSize
        ))
    }
}

enum RecordType: UInt8 {
    case metadata = 1
    case entry = 2
    case hardState = 3
    case snapshotMarker = 4
    case crcCarry = 5
}

/// Appends framed, chained records to a buffer that `WAL.sync()` writes in one piece.
struct RecordEncoder {
    private(set) var bytes: [UInt8] = []
    /// The checksum of the last record encoded: what the next record links to.
    private(set) var lastChecksum: UInt32

    init(lastChecksum: UInt32) {
        self.lastChecksum = lastChecksum
    }

    mutating func append(_ record: LogRecord) {
        let payloadCount = record.payloadCount
        precondition(payloadCount <= RecordFrame.maxPayloadBytes, "caller must check record sizes")
        let start = bytes.count
        let frameSize = RecordFrame.size(payloadCount: payloadCount)
        bytes.reserveCapacity(start + frameSize)
        bytes.appendLittleEndian(UInt32(payloadCount))
        bytes.append(record.type.rawValue)
        bytes.append(contentsOf: [0, 0, 0])
        bytes.appendLittleEndian(lastChecksum)
        bytes.appendLittleEndian(UInt32(0))  // the checksum, filled in below
        record.encodePayload(into: &bytes)
        precondition(bytes.count == start + RecordFrame.headerSize + payloadCount)
        bytes.append(contentsOf: repeatElement(0, count: start + frameSize - bytes.count))
        let checksum = bytes.withUnsafeBytes {
            RecordFrame.checksum(of: UnsafeRawBufferPointer(rebasing: $0[start..<(start + frameSize)]))
        }
        bytes.storeLittleEndian(checksum, at: start + RecordFrame.checksumOffset)
        lastChecksum = checksum
    }

    /// Forgets the encoded bytes once they are written, keeping the chain.
    mutating func removeBytes() {
        // Keep the allocation for the next batch unless one unusually large batch inflated it.
        bytes.removeAll(keepingCapacity: bytes.capacity <= 4 << 20)
    }
}
