// etcdserverpb: the Maintenance service's messages (alarms, status, defrag, hashes, snapshot,
// leader transfer, downgrade). The codec is in MaintenanceCodec.swift.

public struct AlarmType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let none = AlarmType(rawValue: 0)
    public static let noSpace = AlarmType(rawValue: 1)
    public static let corrupt = AlarmType(rawValue: 2)
}

/// `AlarmRequest.AlarmAction`.
public struct AlarmAction: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let get = AlarmAction(rawValue: 0)
    public static let activate = AlarmAction(rawValue: 1)
    public static let deactivate = AlarmAction(rawValue: 2)
}

/// `DowngradeRequest.DowngradeAction` [3.5+].
public struct DowngradeAction: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let validate = DowngradeAction(rawValue: 0)
    public static let enable = DowngradeAction(rawValue: 1)
    public static let cancel = DowngradeAction(rawValue: 2)
}

public struct AlarmRequest: Hashable, Sendable {
    public var action: AlarmAction = .get
    /// 0 means every member.
    public var memberID: UInt64 = 0
    public var alarm: AlarmType = .none
    public init() {}
}

public struct AlarmMember: Hashable, Sendable {
    public var memberID: UInt64 = 0
    public var alarm: AlarmType = .none
    public init() {}
}

public struct AlarmResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var alarms: [AlarmMember] = []
    public init() {}
}

public struct StatusRequest: Hashable, Sendable {
    public init() {}
}

/// [3.6+] Downgrade progress reported in `StatusResponse`.
public struct DowngradeInfo: Hashable, Sendable {
    public var enabled: Bool = false
    public var targetVersion: String = ""
    public init() {}
}

public struct StatusResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var version: String = ""
    public var dbSize: Int64 = 0
    public var leader: UInt64 = 0
    public var raftIndex: UInt64 = 0
    public var raftTerm: UInt64 = 0
    public var raftAppliedIndex: UInt64 = 0
    public var errors: [String] = []
    public var dbSizeInUse: Int64 = 0
    public var isLearner: Bool = false
    /// [3.6+]
    public var storageVersion: String = ""
    /// [3.6+]
    public var dbSizeQuota: Int64 = 0
    /// [3.6+]
    public var downgradeInfo: DowngradeInfo? = nil
    public init() {}
}

public struct DefragmentRequest: Hashable, Sendable {
    public init() {}
}

public struct DefragmentResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

public struct HashRequest: Hashable, Sendable {
    public init() {}
}

public struct HashResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var hash: UInt32 = 0
    public init() {}
}

public struct HashKVRequest: Hashable, Sendable {
    public var revision: Int64 = 0
    public init() {}
}

public struct HashKVResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var hash: UInt32 = 0
    public var compactRevision: Int64 = 0
    /// [3.6+]
    public var hashRevision: Int64 = 0
    public init() {}
}

public struct SnapshotRequest: Hashable, Sendable {
    public init() {}
}

public struct SnapshotResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var remainingBytes: UInt64 = 0
    public var blob: [UInt8] = []
    /// [3.6+] Storage version of the snapshot.
    public var version: String = ""
    public init() {}
}

public struct MoveLeaderRequest: Hashable, Sendable {
    public var targetID: UInt64 = 0
    public init() {}
}

public struct MoveLeaderResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public init() {}
}

/// [3.5+]
public struct DowngradeRequest: Hashable, Sendable {
    public var action: DowngradeAction = .validate
    public var version: String = ""
    public init() {}
}

/// [3.5+]
public struct DowngradeResponse: Hashable, Sendable {
    public var header: ResponseHeader? = nil
    public var version: String = ""
    public init() {}
}
