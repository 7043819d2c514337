import Checksum

/// Where the snapshot encoder puts its bytes. The encoder runs twice over the same code: once
/// into a `ByteCounter`, to learn the section lengths that prefix the sections, then into a
/// `ChunkedSnapshotWriter`, so the two passes cannot disagree about the layout.
protocol SnapshotOutput {
    associatedtype Failure: Error
    mutating func append(_ byte: UInt8) throws(Failure)
    mutating func append(_ bytes: [UInt8]) throws(Failure)
}

extension SnapshotOutput {
    /// LEB128: seven bits per byte, low bits first, the high bit set on every byte but the last.
    mutating func appendVarint(_ value: UInt64) throws(Failure) {
        var rest = value
        while rest >= 0x80 {
            try append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        try append(UInt8(rest))
    }

    mutating func appendVarint(_ value: Int) throws(Failure) {
        try appendVarint(UInt64(value))
    }

    mutating func appendLittleEndian<I: FixedWidthInteger>(_ value: I) throws(Failure) {
        var rest = value.littleEndian
        for _ in 0..<I.bitWidth / 8 {
            try append(UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
    }
}

/// Counts what would be written.
struct ByteCounter: SnapshotOutput {
    private(set) var count = 0

    mutating func append(_ byte: UInt8) { count += 1 }
    mutating func append(_ bytes: [UInt8]) { count += bytes.count }
}

/// Hands the bytes to `sink` in chunks of about `chunkSize`, keeping the running checksum, so
/// encoding holds one chunk, not the whole snapshot.
struct ChunkedSnapshotWriter<Failure: Error>: SnapshotOutput {
    private let chunkSize: Int
    private let sink: ([UInt8]) throws(Failure) -> Void
    private var chunk: [UInt8] = []
    private var checksum = CRC32C()
    /// Bytes handed to the sink or waiting in `chunk`.
    private(set) var count = 0

    init(chunkSize: Int, sink: @escaping ([UInt8]) throws(Failure) -> Void) {
        self.chunkSize = max(chunkSize, 64)
        self.sink = sink
        chunk.reserveCapacity(self.chunkSize)
    }

    mutating func append(_ byte: UInt8) throws(Failure) {
        chunk.append(byte)
        count += 1
        if chunk.count >= chunkSize { try flush() }
    }

    mutating func append(_ bytes: [UInt8]) throws(Failure) {
        chunk.append(contentsOf: bytes)
        count += bytes.count
        if chunk.count >= chunkSize { try flush() }
    }

    /// Appends the CRC-32C of everything written before it and hands over the last chunk.
    mutating func finishWithChecksum() throws(Failure) {
        checksum.add(chunk)
        let value = checksum.value
        for shift in stride(from: 0, to: 32, by: 8) { chunk.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        count += 4
        try sink(chunk)
        chunk.removeAll()
    }

    private mutating func flush() throws(Failure) {
        checksum.add(chunk)
        try sink(chunk)
        chunk.removeAll(keepingCapacity: true)
    }
}
