/// The keys a request addresses, decoded from etcd's `key` / `range_end` pair.
///
/// Wire conventions: an empty `range_end` means the single key `key`; `range_end == "\0"` means
/// every key `>= key` (so `key == "\0"` with it means all keys); otherwise `[key, range_end)`,
/// which is empty when `range_end <= key`.
public struct KeyRange: Hashable, Sendable {
    public enum End: Hashable, Sendable {
        case singleKey
        case unbounded
        case exclusive([UInt8])
    }

    public var start: [UInt8]
    public var end: End

    public init(start: [UInt8], end: End) {
        self.start = start
        self.end = end
    }

    public init(key: [UInt8], rangeEnd: [UInt8]) {
        self.start = key
        if rangeEnd.isEmpty {
            self.end = .singleKey
        } else if rangeEnd == [0] {
            self.end = .unbounded
        } else {
            self.end = .exclusive(rangeEnd)
        }
    }

    public static func key(_ key: [UInt8]) -> KeyRange { KeyRange(start: key, end: .singleKey) }

    public func contains(_ key: [UInt8]) -> Bool {
        switch end {
        case .singleKey: return key == start
        case .unbounded: return !ByteOrder.less(key, start)
        case .exclusive(let limit): return !ByteOrder.less(key, start) && ByteOrder.less(key, limit)
        }
    }

    /// Whether `key`, met in an ascending scan that started at `start`, is past the range.
    func isPastEnd(_ key: [UInt8]) -> Bool {
        switch end {
        case .singleKey: return key != start
        case .unbounded: return false
        case .exclusive(let limit): return !ByteOrder.less(key, limit)
        }
    }
}
