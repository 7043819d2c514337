import Logging
import NIOConcurrencyHelpers

/// Collects log lines so tests can check what an operator would see, and how often.
final class CapturedLogs: Sendable {
    struct Line {
        var level: Logger.Level
        var message: String
    }

    private let lines = NIOLockedValueBox<[Line]>([])

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(logs: self) }
        logger.logLevel = .debug
        return logger
    }

    func append(_ line: Line) {
        lines.withLockedValue { $0.append(line) }
    }

    /// Lines at `level` that contain `text`.
    func count(_ level: Logger.Level, containing text: String) -> Int {
        lines.withLockedValue { lines in
            lines.filter { $0.level == level && $0.message.contains(text) }.count
        }
    }
}

private struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append(CapturedLogs.Line(level: event.level, message: "\(event.message)"))
    }
}
