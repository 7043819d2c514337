import EtcdWire
import MVCC

/// The bytes of an `AppliedStateSnapshot` (layout there), produced in order with their count
/// known before the first: what a snapshot file written piece by piece needs. The store section
/// can come from the store itself, in chunks, so the applied state is never whole in memory;
/// the other sections are small and built upfront.
struct AppliedStateEncoding {
    /// The store section's body.
    enum StoreBody {
        case bytes([UInt8])
        /// Written by the store as `write` goes; the store must not change until `write` returns.
        case streamed(MVCCStore, MVCCSnapshotSize)

        var count: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .streamed(_, let size): size.byteCount
            }
        }
    }

    /// How much of a streamed store `write` hands over at a time.
    static let storeChunkSize = 1 << 20

    /// Magic, version, the members and removed sections, and the store section's header.
    private let head: [UInt8]
    private let storeBody: StoreBody?
    /// The lease and alarm sections.
    private let tail: [UInt8]
    /// The encoding's length in bytes.
    let count: Int

    /// `store` is nil for an empty store (see `AppliedStateSnapshot.store`).
    init(membership: MembershipState, store: (body: StoreBody, leases: [UInt8])?, alarms: [AlarmMember]) {
        var head = AppliedStateSnapshot.magic
        head.append(AppliedStateSnapshot.version)
        var members = MemberListResponse()
        members.members = membership.members.values.sorted { $0.id < $1.id }
        Self.append(.members, members.protobuf(), to: &head)
        Self.append(.removed, membership.removed.sorted().flatMap(BigEndian.bytes), to: &head)
        var tail: [UInt8] = []
        if let store {
            Self.appendHeader(.store, count: store.body.count, to: &head)
            Self.append(.leases, store.leases, to: &tail)
        }
        if !alarms.isEmpty {
            var list = AlarmResponse()
            list.alarms = alarms
            Self.append(.alarms, list.protobuf(), to: &tail)
        }
        self.head = head
        storeBody = store?.body
        self.tail = tail
        count = head.count + (store?.body.count ?? 0) + tail.count
    }

    /// Hands the encoding to `sink` in order, `count` bytes in all; if `sink` throws, writing
    /// stops and the error is rethrown.
    func write<Failure: Error>(to sink: ([UInt8]) throws(Failure) -> Void) throws(Failure) {
        try sink(head)
        switch storeBody {
        case .bytes(let bytes)?:
            try sink(bytes)
        case .streamed(let store, let size)?:
            try store.writeSnapshot(chunkSize: Self.storeChunkSize, measured: size, to: sink)
        case nil:
            break
        }
        if !tail.isEmpty { try sink(tail) }
    }

    private static func append(_ section: AppliedStateSnapshot.Section, _ body: [UInt8], to bytes: inout [UInt8]) {
        appendHeader(section, count: body.count, to: &bytes)
        bytes.append(contentsOf: body)
    }

    private static func appendHeader(_ section: AppliedStateSnapshot.Section, count: Int, to bytes: inout [UInt8]) {
        bytes.append(section.rawValue)
        bytes.append(contentsOf: BigEndian.bytes(UInt64(count)))
    }
}
