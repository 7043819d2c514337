#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The request headers of a call other than the pseudo-headers, kept as the bytes that arrived
/// (one buffer per request) and turned into `String`s only for the fields someone asks for.
/// Names are as the client sent them (lower-case in HTTP/2).
///
/// Layout of `storage`, per field in arrival order: the name's length and the value's length
/// (`UInt32` each, native byte order), then the name bytes, then the value bytes.
public struct GRPCRequestMetadata: Sendable {
    private var storage: [UInt8] = []

    init() {}

    /// The fields as `String`s, in arrival order; invalid UTF-8 is replaced as `String(decoding:)` does.
    public var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        forEachField { name, value in
            fields.append((name: Self.string(name), value: Self.string(value)))
            return true
        }
        return fields
    }

    /// The value of the first field called `name` (compared byte for byte, so pass it lower-case).
    public func value(forName name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted in
            withFirstValue(named: UnsafeRawBufferPointer(wanted)) { Self.string($0) }
        }
    }

    /// Calls `body` with the bytes of the first field called `name`; nil if there is none.
    /// The pointer is valid only inside `body`.
    func withFirstValue<Result>(named name: StaticString, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
        try withFirstValue(named: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), body)
    }

    func withFirstValue<Result>(named name: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
        var found: UnsafeRawBufferPointer?
        return try storage.withUnsafeBytes { raw -> Result? in
            Self.forEachField(in: raw) { fieldName, value in
                if fieldName.count == name.count && (name.count == 0 || memcmp(fieldName.baseAddress!, name.baseAddress!, name.count) == 0) {
                    found = value
                    return false
                }
                return true
            }
            guard let found else { return nil }
            return try body(found)
        }
    }

    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if storage.capacity == 0 {
            storage.reserveCapacity(192)
        }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: name.count)) { storage.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: value.count)) { storage.append(contentsOf: $0) }
        storage.append(contentsOf: name)
        storage.append(contentsOf: value)
    }

    private func forEachField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        storage.withUnsafeBytes { Self.forEachField(in: $0, body) }
    }

    /// Calls `body` with each field's name and value until it returns false.
    private static func forEachField(in raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        var offset = 0
        while offset + 8 <= raw.count {
            let nameCount = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let valueCount = Int(raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let nameStart = offset + 8
            let valueStart = nameStart + nameCount
            offset = valueStart + valueCount
            let name = UnsafeRawBufferPointer(rebasing: raw[nameStart ..< valueStart])
            let value = UnsafeRawBufferPointer(rebasing: raw[valueStart ..< offset])
            if !body(name, value) {
                return
            }
        }
    }

    private static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
