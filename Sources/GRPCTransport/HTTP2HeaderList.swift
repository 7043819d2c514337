import CNGHTTP2

/// Header fields as they travel through this module: lower-case names, UTF-8 values.
typealias HTTP2HeaderFields = [(name: String, value: String)]

enum HTTP2HeaderList {
    /// Calls `body` with an `nghttp2_nv` array describing `fields`. The pointers are valid only
    /// inside `body`; nghttp2 copies the bytes when a frame is submitted, so that is enough.
    static func withNameValueArray<Result>(
        _ fields: HTTP2HeaderFields,
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> Result
    ) -> Result {
        var bytes: [UInt8] = []
        var lengths: [(name: Int, value: Int)] = []
        lengths.reserveCapacity(fields.count)
        for field in fields {
            let nameStart = bytes.count
            bytes.append(contentsOf: field.name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: field.value.utf8)
            lengths.append((name: valueStart - nameStart, value: bytes.count - valueStart))
        }
        // An empty value at the very end still needs a valid pointer.
        bytes.append(0)
        return bytes.withUnsafeMutableBufferPointer { storage in
            var cursor = storage.baseAddress!
            var array: [nghttp2_nv] = []
            array.reserveCapacity(lengths.count)
            for length in lengths {
                let name = cursor
                let value = cursor + length.name
                cursor = value + length.value
                array.append(nghttp2_nv(
                    name: name,
                    value: value,
                    namelen: length.name,
                    valuelen: length.value,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                ))
            }
            return array.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }

    static func string(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> String {
        guard let pointer, count > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
