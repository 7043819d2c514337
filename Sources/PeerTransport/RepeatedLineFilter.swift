import NIOConcurrencyHelpers

/// Remembers the last line logged per key, so that a condition met again on every reconnect
/// attempt (a removed member dialling in, say) is logged once per change, not every time.
final class RepeatedLineFilter: Sendable {
    /// Keys come from the network, so the memory is bounded: beyond this it starts over.
    private static let capacity = 256
    private let lines = NIOLockedValueBox<[UInt64: String]>([:])

    /// True when `line` differs from the last one seen for `key` (and remembers it).
    func isNew(_ line: String, for key: UInt64) -> Bool {
        lines.withLockedValue { lines in
            guard lines[key] != line else { return false }
            if lines.count >= Self.capacity {
                lines.removeAll()
            }
            lines[key] = line
            return true
        }
    }

    func forget(_ key: UInt64) {
        lines.withLockedValue { _ = $0.removeValue(forKey: key) }
    }
}
