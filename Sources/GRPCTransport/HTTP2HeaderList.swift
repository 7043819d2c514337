import CNGHTTP2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Header fields as they travel through this module: lower-case names, UTF-8 values.
typealias HTTP2HeaderFields = [(name: String, value: String)]

/// A header block laid out for nghttp2: one allocation holding the `nghttp2_nv` array and the
/// bytes it points into. The blocks every call sends (`:status 200` + content-type, the OK
/// trailers) are built once and live for the whole process, so nghttp2 is told not to copy
/// their names and values; other blocks (error statuses) are built per use and copied by
/// nghttp2 when submitted.
///
/// Immutable after init; that is why it may be `@unchecked Sendable`.
final class HTTP2HeaderBlock: @unchecked Sendable {
    let nameValues: UnsafeMutablePointer<nghttp2_nv>
    let count: Int
    private let bytes: UnsafeMutablePointer<UInt8>

    init(_ fields: HTTP2HeaderFields, permanent: Bool = false) {
        count = fields.count
        var byteCount = 1  // an empty value at the very end still needs a valid pointer
        for field in fields {
            byteCount += field.name.utf8.count + field.value.utf8.count
        }
        bytes = .allocate(capacity: byteCount)
        nameValues = .allocate(capacity: max(fields.count, 1))
        let flags = permanent
            ? UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue)
            : UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
        var cursor = bytes
        for (index, field) in fields.enumerated() {
            let name = cursor
            cursor = Self.copy(field.name, to: cursor)
            let value = cursor
            cursor = Self.copy(field.value, to: cursor)
            (nameValues + index).initialize(to: nghttp2_nv(
                name: name, value: value,
                namelen: value - name, valuelen: cursor - value,
                flags: flags
            ))
        }
        cursor.initialize(to: 0)
    }

    deinit {
        bytes.deallocate()
        nameValues.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    private static func copy(_ text: String, to destination: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var cursor = destination
        for byte in text.utf8 {
            cursor.initialize(to: byte)
            cursor += 1
        }
        return cursor
    }
}

enum HTTP2HeaderList {
    static func string(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> String {
        guard let pointer, count > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Byte-wise equality of a received header name or value with an ASCII constant.
    @inline(__always)
    static func equals(_ pointer: UnsafePointer<UInt8>?, _ count: Int, _ constant: StaticString) -> Bool {
        guard count == constant.utf8CodeUnitCount else { return false }
        guard count > 0, let pointer else { return true }
        return memcmp(pointer, constant.utf8Start, count) == 0
    }
}
