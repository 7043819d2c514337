/// Reads a snapshot's fields front to back, checking every length against what is left, so bad
/// input ends in an `MVCCSnapshotError` naming the field and offset, never a trap or an
/// allocation larger than the input.
struct SnapshotReader {
    private let buffer: UnsafeBufferPointer<UInt8>
    private(set) var offset: Int
    /// Reading stops here (the end of the current section).
    private(set) var end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int = 0, to end: Int? = nil) {
        buffer = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }

    func malformed(_ message: String, at position: Int? = nil) -> MVCCSnapshotError {
        MVCCSnapshotError(.malformed, at: position ?? offset, message)
    }

    /// Limits reading to the next `length` bytes; returns the old end, for `leaveSection`.
    mutating func enterSection(length: Int) -> Int {
        let outer = end
        end = offset + length
        return outer
    }

    mutating func leaveSection(_ name: String, restoring outer: Int) throws(MVCCSnapshotError) {
        if offset != end { throw malformed("\(remaining) unread bytes at the end of the \(name) section") }
        end = outer
    }

    mutating func byte(_ field: StaticString) throws(MVCCSnapshotError) -> UInt8 {
        guard offset < end else { throw malformed("\(field) runs past the end of its section") }
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func littleEndian<I: FixedWidthInteger>(_ field: StaticString, as type: I.Type = I.self) throws(MVCCSnapshotError) -> I {
        let size = I.bitWidth / 8
        guard remaining >= size else { throw malformed("\(field) runs past the end of its section") }
        var value: I = 0
        for index in 0..<size { value |= I(truncatingIfNeeded: buffer[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    /// A LEB128 varint in its shortest form: at most ten bytes, no redundant zero high byte.
    mutating func varint(_ field: StaticString) throws(MVCCSnapshotError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw malformed("\(field) runs past the end of its section", at: start) }
            let byte = buffer[offset]
            offset += 1
            if shift == 63, byte > 1 { throw malformed("\(field) does not fit in 64 bits", at: start) }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                if byte == 0, shift > 0 { throw malformed("\(field) is not in its shortest encoding", at: start) }
                return value
            }
            shift += 7
        }
    }

    /// A varint that must be in `range`.
    mutating func varint(_ field: StaticString, in range: ClosedRange<Int64>) throws(MVCCSnapshotError) -> Int64 {
        let start = offset
        let value = try varint(field)
        guard value <= UInt64(Int64.max), range.contains(Int64(value)) else {
            throw malformed("\(field) is \(value), outside \(range.lowerBound)...\(range.upperBound)", at: start)
        }
        return Int64(value)
    }

    /// A count or length that cannot exceed what is left of the section.
    mutating func count(_ field: StaticString, atLeast minimum: Int = 0, eachAtLeast itemSize: Int = 1) throws(MVCCSnapshotError) -> Int {
        let start = offset
        let value = try varint(field)
        guard value >= UInt64(minimum) else { throw malformed("\(field) is \(value), below \(minimum)", at: start) }
        guard value <= UInt64(remaining / itemSize) else {
            throw malformed("\(field) is \(value), more than the \(remaining) bytes left can hold", at: start)
        }
        return Int(value)
    }

    mutating func bytes(_ field: StaticString, count: Int) throws(MVCCSnapshotError) -> [UInt8] {
        guard count <= remaining else { throw malformed("\(field) runs past the end of its section") }
        defer { offset += count }
        return Array(UnsafeBufferPointer(rebasing: buffer[offset..<(offset + count)]))
    }
}
