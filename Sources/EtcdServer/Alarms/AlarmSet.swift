import EtcdWire

/// The cluster's active alarms, etcd's alarm store: which member raised which alarm. Changed
/// only by applying `Command.alarm`, so every member holds the same alarms and refuses the
/// same writes.
struct AlarmSet {
    /// Alarm type → the members that raised it. Members are kept per type because etcd lists
    /// and disarms them that way.
    private var raised: [AlarmType: Set<UInt64>] = [:]

    init() {}

    /// The alarms a snapshot recorded.
    init(_ alarms: [AlarmMember]) {
        for alarm in alarms where alarm.alarm != .none {
            raised[alarm.alarm, default: []].insert(alarm.memberID)
        }
    }

    /// What the type's count crossing zero means for the cluster; etcd logs only these.
    enum Change {
        case raised(AlarmMember)
        case disarmed(AlarmMember)
    }

    /// The active alarms of one type, or of every type for `.none` (etcd's GET), by type then
    /// member ID (etcd lists them in map order; a stable order is easier to read and test).
    func list(_ type: AlarmType) -> [AlarmMember] {
        let types = type == .none ? raised.keys.sorted { $0.rawValue < $1.rawValue } : [type]
        return types.flatMap { type in
            (raised[type] ?? []).sorted().map { Self.member($0, type) }
        }
    }

    /// Applies an ACTIVATE or DEACTIVATE as etcd's applier does: the answer lists the alarm
    /// concerned (also when it was already active), nothing when deactivating an alarm that is
    /// not active, and a GET lists the alarms.
    mutating func apply(_ request: AlarmRequest) -> (response: AlarmResponse, change: Change?) {
        var response = AlarmResponse()
        let alarm = Self.member(request.memberID, request.alarm)
        switch request.action {
        case .get:
            response.alarms = list(request.alarm)
            return (response, nil)
        case .activate:
            response.alarms = [alarm]
            let wasQuiet = raised[request.alarm, default: []].isEmpty
            raised[request.alarm, default: []].insert(request.memberID)
            return (response, wasQuiet ? .raised(alarm) : nil)
        case .deactivate:
            guard raised[request.alarm]?.remove(request.memberID) != nil else { return (response, nil) }
            response.alarms = [alarm]
            return (response, raised[request.alarm]!.isEmpty ? .disarmed(alarm) : nil)
        default:
            return (response, nil)
        }
    }

    /// Why an active alarm refuses `command`, as etcd's appliers do: under CORRUPT every write
    /// (`applierV3Corrupt`), under NOSPACE whatever would take space — puts, transactions with
    /// puts in a top-level branch, lease grants (`applierV3Capped`). Reads are not commands and
    /// are never refused; neither are alarms themselves.
    func refusal(for command: Command) -> EtcdError? {
        if raised[.corrupt]?.isEmpty == false {
            switch command {
            case .put, .deleteRange, .txn, .compact, .leaseGrant, .leaseRevoke: return .corrupt
            case .publishMember, .alarm: return nil
            }
        }
        if raised[.noSpace]?.isEmpty == false, BackendQuota.cost(of: command) > 0 {
            return .noSpace
        }
        return nil
    }

    private static func member(_ id: UInt64, _ type: AlarmType) -> AlarmMember {
        var member = AlarmMember()
        member.memberID = id
        member.alarm = type
        return member
    }
}

extension AlarmType {
    /// The name etcd prints (`NOSPACE`), or the number for a type it does not know.
    var name: String {
        switch self {
        case .none: return "NONE"
        case .noSpace: return "NOSPACE"
        case .corrupt: return "CORRUPT"
        default: return "\(rawValue)"
        }
    }
}
