/// Percent-encoding of `grpc-message` values.
///
/// gRPC sends the status message as UTF-8 where every byte outside printable ASCII
/// (0x20...0x7E) and the '%' itself is written as `%XX`, so any text survives being an
/// HTTP/2 header value.
enum PercentEncoding {
    static func encodeGRPCMessage(_ text: String) -> String {
        let utf8 = text.utf8
        if utf8.allSatisfy({ !needsEscape($0) }) {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            if needsEscape(byte) {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "%")
    }
}
