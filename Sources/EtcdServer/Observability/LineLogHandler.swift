#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A swift-log handler that writes one line per event, either as JSON with zap's field names
/// (`--logger zap`) or as capnslog-style text (`--logger capnslog`), to stderr or stdout.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let json: Bool
    private let toStdout: Bool

    public init(label: String, level: Logger.Level, json: Bool, toStdout: Bool) {
        self.label = label
        self.logLevel = level
        self.json = json
        self.toStdout = toStdout
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let now = Self.now()
        var text = json
            ? jsonLine(level: event.level, message: "\(event.message)", fields: fields, now: now)
            : textLine(level: event.level, message: "\(event.message)", fields: fields, now: now)
        text.append("\n")
        Self.writeAll(text, to: toStdout ? STDOUT_FILENO : STDERR_FILENO)
    }

    /// One `write` for the whole line (repeated only if the kernel takes part of it), so lines
    /// from different threads do not interleave.
    private static func writeAll(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    private func jsonLine(level: Logger.Level, message: String, fields: Logger.Metadata, now: timespec) -> String {
        var parts = [
            "\"level\":\(Self.quote(Self.zapLevel(level)))",
            "\"ts\":\(Self.quote(Self.timestamp(now, iso: true)))",
            "\"caller\":\(Self.quote(label))",
            "\"msg\":\(Self.quote(message))",
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            parts.append("\(Self.quote(key)):\(Self.quote("\(value)"))")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private func textLine(level: Logger.Level, message: String, fields: Logger.Metadata, now: timespec) -> String {
        let suffix = fields.sorted(by: { $0.key < $1.key }).map { " \($0.key)=\($0.value)" }.joined()
        return "\(Self.timestamp(now, iso: false)) \(Self.capnsLevel(level)) | \(label): \(message)\(suffix)"
    }

    private static func zapLevel(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error: return "error"
        case .critical: return "fatal"
        }
    }

    private static func capnsLevel(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "D"
        case .info, .notice: return "I"
        case .warning: return "W"
        case .error: return "E"
        case .critical: return "C"
        }
    }

    private static func now() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    /// UTC, formatted by hand (no Foundation): `2006-01-02T15:04:05.000Z` for JSON (zap),
    /// `2006-01-02 15:04:05.000000` for text (capnslog).
    static func timestamp(_ time: timespec, iso: Bool) -> String {
        var seconds = time_t(time.tv_sec)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func append(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1 ..< digits { divisor *= 10 }
            var value = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                value %= divisor
                divisor /= 10
            }
        }
        append(Int(fields.tm_year) + 1900, digits: 4)
        out.append(UInt8(ascii: "-"))
        append(Int(fields.tm_mon) + 1, digits: 2)
        out.append(UInt8(ascii: "-"))
        append(Int(fields.tm_mday), digits: 2)
        out.append(iso ? UInt8(ascii: "T") : UInt8(ascii: " "))
        append(Int(fields.tm_hour), digits: 2)
        out.append(UInt8(ascii: ":"))
        append(Int(fields.tm_min), digits: 2)
        out.append(UInt8(ascii: ":"))
        append(Int(fields.tm_sec), digits: 2)
        out.append(UInt8(ascii: "."))
        if iso {
            append(Int(time.tv_nsec) / 1_000_000, digits: 3)
            out.append(UInt8(ascii: "Z"))
        } else {
            append(Int(time.tv_nsec) / 1_000, digits: 6)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += "\\u00" + Self.hex(s.value >> 4) + Self.hex(s.value & 0xF)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func hex(_ nibble: UInt32) -> String {
        String(UnicodeScalar(UInt8(nibble < 10 ? 48 + nibble : 87 + nibble)))
    }
}
