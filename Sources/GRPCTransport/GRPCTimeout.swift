import NIOCore

/// Parser for the `grpc-timeout` request header: at most 8 ASCII digits followed by one
/// unit letter (H hours, M minutes, S seconds, m milliseconds, u microseconds, n nanoseconds).
enum GRPCTimeout {
    struct MalformedError: Error, Equatable {
        var value: String
    }

    static func parse(_ value: String) throws -> TimeAmount {
        var value = value
        return try value.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    /// Parses the header value as received; the error carries it as text.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> TimeAmount {
        func malformed() -> MalformedError {
            MalformedError(value: String(decoding: bytes, as: UTF8.self))
        }
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last else {
            throw malformed()
        }
        var amount: Int64 = 0
        for digit in bytes.dropLast() {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else {
                throw malformed()
            }
            amount = amount * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        // 99_999_999 hours in nanoseconds overflows Int64, so large values saturate instead.
        switch unit {
        case UInt8(ascii: "H"): return saturating(amount, nanosecondsPerUnit: 3_600_000_000_000)
        case UInt8(ascii: "M"): return saturating(amount, nanosecondsPerUnit: 60_000_000_000)
        case UInt8(ascii: "S"): return saturating(amount, nanosecondsPerUnit: 1_000_000_000)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: throw malformed()
        }
    }

    private static func saturating(_ amount: Int64, nanosecondsPerUnit: Int64) -> TimeAmount {
        let (product, overflow) = amount.multipliedReportingOverflow(by: nanosecondsPerUnit)
        return .nanoseconds(overflow ? .max : product)
    }
}
