// Little-endian fixed-width integers, the only number encoding in our files.

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Overwrites `Value.bitWidth / 8` bytes at `offset`, which must already exist.
    mutating func storeLittleEndian<Value: FixedWidthInteger>(_ value: Value, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<Value>.size <= count)
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: Value.self) }
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// The integer stored at `offset`; the caller has checked that the bytes are there.
    func loadLittleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        precondition(offset >= startIndex && offset + MemoryLayout<Value>.size <= endIndex)
        var value: Value = 0
        for byteIndex in 0..<MemoryLayout<Value>.size {
            value |= Value(self[offset + byteIndex]) << (8 * byteIndex)
        }
        return value
    }
}

/// Reads fixed-width fields one after another from a byte slice, failing softly when it runs out.
struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private(set) var offset: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    var remainingCount: Int { bytes.endIndex - offset }

    mutating func read<Value: FixedWidthInteger>(_ type: Value.Type) -> Value? {
        guard remainingCount >= MemoryLayout<Value>.size else { return nil }
        defer { offset += MemoryLayout<Value>.size }
        return bytes.loadLittleEndian(type, at: offset)
    }

    mutating func readRest() -> ArraySlice<UInt8> {
        defer { offset = bytes.endIndex }
        return bytes[offset...]
    }
}
