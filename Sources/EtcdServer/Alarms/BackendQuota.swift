import EtcdWire

/// etcd's backend quota (`etcdserver/quota.go`): what a request costs and whether the store
/// has room for it. The store's size is its approximate bytes, the figure Status reports as
/// the size in use.
struct BackendQuota: Sendable {
    static let defaultBytes: Int64 = 2 * 1024 * 1024 * 1024
    /// Above this etcd warns that performance may suffer; it still applies the quota.
    static let maxRecommendedBytes: Int64 = 8 * 1024 * 1024 * 1024
    /// etcd's estimates of what a lease and a key's metadata take besides the key and value.
    static let leaseOverhead = 64
    static let kvOverhead = 256

    /// `--quota-backend-bytes` as given: 0 is etcd's default, a negative value turns the
    /// quota off.
    let configuredBytes: Int64

    /// What `etcd_server_quota_backend_bytes` shows: the flag, or the default for 0.
    var reportedBytes: Int64 { configuredBytes == 0 ? Self.defaultBytes : configuredBytes }

    /// Whether `command` fits: requests that take no space always do (etcd's `Available`).
    func admits(_ command: Command, storeBytes: @autoclosure () -> Int64) -> Bool {
        let cost = Self.cost(of: command)
        return cost == 0 || configuredBytes < 0 || storeBytes() + Int64(cost) < reportedBytes
    }

    /// etcd's `Cost`: a put is its key and value plus the metadata estimate, a transaction the
    /// puts of its costlier top-level branch (puts in nested transactions are not counted, as
    /// in etcd), a lease grant the lease estimate; anything else takes no space.
    static func cost(of command: Command) -> Int {
        switch command {
        case .put(let request):
            return cost(of: request)
        case .txn(let request):
            return max(cost(of: request.success), cost(of: request.failure))
        case .leaseGrant:
            return leaseOverhead
        case .deleteRange, .compact, .leaseRevoke, .publishMember, .alarm:
            return 0
        }
    }

    private static func cost(of request: PutRequest) -> Int {
        kvOverhead + request.key.count + request.value.count
    }

    private static func cost(of branch: [RequestOp]) -> Int {
        branch.reduce(0) { total, op in
            guard case .put(let request)? = op.request else { return total }
            return total + cost(of: request)
        }
    }
}
