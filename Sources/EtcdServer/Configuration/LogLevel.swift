import Logging

/// etcd's `--log-level` names mapped onto swift-log levels.
enum LogLevelName {
    static func parse(_ text: String) throws -> Logger.Level {
        switch text {
        case "debug": return .debug
        case "info": return .info
        case "warn": return .warning
        case "error": return .error
        case "panic", "fatal", "dpanic": return .critical
        default:
            throw ConfigurationError("unknown log level \"\(text)\" (expected debug, info, warn, error, panic or fatal)")
        }
    }
}
