import EtcdWire

/// The data of a Raft snapshot: the applied state at the snapshot's index, which a member
/// restores instead of replaying the log before it (a member that joins late, or a log that
/// was compacted).
///
/// Layout (docs/storage-format.md): the magic `SEAS`, a version byte, then sections, each a tag
/// byte, an 8-byte big-endian length and that many bytes. Section 1 is the membership (a
/// `MemberListResponse` protobuf listing the members), section 2 the removed member IDs (8 bytes
/// each, big-endian), section 3 the MVCC store and section 4 the leases (each in its module's
/// own snapshot format, with its own checksum). A new cluster's first snapshot has no store or
/// lease section: it starts empty. The snapshot file around it all carries a checksum too.
struct AppliedStateSnapshot: Hashable {
    var membership: MembershipState
    /// The store and the leases, or nil for an empty store (a new cluster's first snapshot).
    var store: StoreSections?
    /// The active alarms: members must refuse the same writes after a restore.
    var alarms: [AlarmMember] = []

    static let magic: [UInt8] = Array("SEAS".utf8)
    static let version: UInt8 = 1

    enum Section: UInt8 {
        case members = 1
        case removed = 2
        case store = 3
        case leases = 4
        case alarms = 5
    }

    /// The bytes, built in memory; `AppliedStateEncoding` writes the same bytes piece by piece.
    func encoded() -> [UInt8] {
        let encoding = AppliedStateEncoding(
            membership: membership, store: store.map { (.bytes($0.store), $0.leases) }, alarms: alarms)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoding.count)
        encoding.write { bytes.append(contentsOf: $0) }
        return bytes
    }

    init(membership: MembershipState, store: StoreSections? = nil, alarms: [AlarmMember] = []) {
        self.membership = membership
        self.store = store
        self.alarms = alarms
    }

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count >= 5, Array(bytes[0..<4]) == Self.magic else {
            throw LogRecoveryError("snapshot data does not start with the applied-state magic")
        }
        guard bytes[4] == Self.version else {
            throw LogRecoveryError("snapshot data has version \(bytes[4]); this swift-etcd reads version \(Self.version)")
        }
        var members: [Member]?
        var removed: Set<UInt64> = []
        var storeBytes: [UInt8]?
        var leaseBytes: [UInt8]?
        var offset = 5
        while offset < bytes.count {
            guard bytes.count - offset >= 9 else { throw LogRecoveryError("snapshot data ends inside a section header at offset \(offset)") }
            let tag = bytes[offset]
            let length = BigEndian.word(bytes[(offset + 1)...])
            offset += 9
            guard length <= UInt64(bytes.count - offset) else {
                throw LogRecoveryError("snapshot section \(tag) claims \(length) bytes but \(bytes.count - offset) remain")
            }
            let body = bytes[offset..<offset + Int(length)]
            offset += Int(length)
            switch Section(rawValue: tag) {
            case .members?:
                members = try MemberListResponse(protobuf: body).members
            case .removed?:
                guard body.count % 8 == 0 else { throw LogRecoveryError("removed-members section of \(body.count) bytes is not a multiple of 8") }
                removed = Set(stride(from: body.startIndex, to: body.endIndex, by: 8).map { BigEndian.word(bytes[$0...]) })
            case .store?:
                storeBytes = Array(body)
            case .leases?:
                leaseBytes = Array(body)
            case .alarms?:
                alarms = try AlarmResponse(protobuf: body).alarms
            case nil:
                throw LogRecoveryError("snapshot data has unknown section \(tag)")
            }
        }
        // Every cluster has members: data without them was cut short.
        guard let members else { throw LogRecoveryError("snapshot data has no members section") }
        membership = MembershipState(members: members, removed: removed)
        switch (storeBytes, leaseBytes) {
        case (let store?, let leases?): self.store = StoreSections(store: store, leases: leases)
        case (nil, nil): store = nil
        default: throw LogRecoveryError("snapshot data has a store section without a lease section, or the other way round")
        }
    }
}

/// The store and the leases, each in its module's own snapshot format, taken at the same applied
/// index.
struct StoreSections: Hashable {
    var store: [UInt8]
    var leases: [UInt8]
}
