import Foundation
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

    public func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var fields = metadata
        if let extra { fields.merge(extra) { $1 } }
        let now = Date()
        let text = json
            ? jsonLine(level: level, message: "\(message)", fields: fields, now: now)
            : textLine(level: level, message: "\(message)", fields: fields, now: now)
        let handle = toStdout ? FileHandle.standardOutput : FileHandle.standardError
        handle.write(Data((text + "\n").utf8))
    }

    private func jsonLine(level: Logger.Level, message: String, fields: Logger.Metadata, now: Date) -> String {
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

    private func textLine(level: Logger.Level, message: String, fields: Logger.Metadata, now: Date) -> String {
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

    private static func timestamp(_ date: Date, iso: Bool) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = iso ? "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" : "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return formatter.string(from: date)
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += String(format: "\\u%04x", s.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
