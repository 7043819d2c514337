/// A lease's ID as clients see it; 0 means "no lease".
public typealias LeaseID = Int64

/// A lease as every member agrees on it: built only by applied commands, so the same log gives
/// the same leases everywhere. When it expires is not part of it (see `Lessor`'s timing side).
public struct Lease: Hashable, Sendable {
    public let id: LeaseID
    /// The TTL it was granted, in seconds, after raising it to the minimum: what keep-alives
    /// answer and what a renewal restores.
    public let ttl: Int64
    /// The live keys that carry this lease.
    public internal(set) var keys: Set<[UInt8]> = []

    /// The attached keys in byte order: revoking deletes them in this order on every member.
    public var sortedKeys: [[UInt8]] {
        keys.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

/// The TTL bound etcd enforces (the minimum comes from the election timeout: see `Lessor`).
public enum LeaseLimits {
    /// The longest TTL a lease may ask for, in seconds; longer is `etcdserver: too large lease TTL`.
    public static let maxTTL: Int64 = 9_000_000_000
}
