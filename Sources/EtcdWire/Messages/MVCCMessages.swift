// mvccpb: the stored key-value record and the watch event.

public struct KeyValue: Hashable, Sendable {
    public var key: [UInt8] = []
    public var createRevision: Int64 = 0
    public var modRevision: Int64 = 0
    public var version: Int64 = 0
    public var value: [UInt8] = []
    public var lease: Int64 = 0

    public init() {}

    public init(key: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, value: [UInt8], lease: Int64) {
        self.key = key
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.value = value
        self.lease = lease
    }
}

public struct EventType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let put = EventType(rawValue: 0)
    public static let delete = EventType(rawValue: 1)
}

public struct Event: Hashable, Sendable {
    public var type: EventType = .put
    public var kv: KeyValue? = nil
    public var prevKV: KeyValue? = nil
    public init() {}
}
