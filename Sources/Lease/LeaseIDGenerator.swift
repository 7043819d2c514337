/// Picks IDs for leases granted without one, before the grant is proposed (so every member
/// applies the same ID), the way etcd builds its request IDs: the member's low 16 bits on top,
/// then the start time in milliseconds and a counter. IDs from different members or from
/// different starts of one member do not collide in practice.
public struct LeaseIDGenerator: Sendable {
    private let prefix: UInt64
    private var suffix: UInt64

    private static let suffixBits: UInt64 = 48
    private static let counterBits: UInt64 = 8

    /// `unixMilliseconds` is the member's start time.
    public init(memberID: UInt64, unixMilliseconds: UInt64) {
        prefix = (memberID & 0xffff) << Self.suffixBits
        suffix = (unixMilliseconds & ((1 << (Self.suffixBits - Self.counterBits)) - 1)) << Self.counterBits
    }

    /// The next ID: positive, as etcd only grants positive IDs, and never 0 ("no lease").
    public mutating func next() -> LeaseID {
        while true {
            suffix &+= 1
            let id = LeaseID(bitPattern: (prefix | (suffix & ((1 << Self.suffixBits) - 1))) & UInt64(Int64.max))
            if id != 0 { return id }
        }
    }
}
