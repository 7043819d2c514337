/// An error as etcd sends it: a gRPC status code and an exact message.
///
/// clientv3 maps errors back to its typed errors (`rpctypes`) by the message text, and etcdctl
/// compares code and text, so both must match etcd letter for letter. Every error the server
/// sends to a client comes from this table (or from `EtcdError(code:message:)` for the few
/// messages that carry a value, like the gRPC size limit).
public struct EtcdError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: GRPCStatusCode
    public var message: String

    public init(code: GRPCStatusCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code) \(message)" }
}

extension EtcdError {
    // Request validation.
    public static let emptyKey = EtcdError(code: .invalidArgument, message: "etcdserver: key is not provided")
    public static let keyNotFound = EtcdError(code: .invalidArgument, message: "etcdserver: key not found")
    public static let valueProvided = EtcdError(code: .invalidArgument, message: "etcdserver: value is provided")
    public static let leaseProvided = EtcdError(code: .invalidArgument, message: "etcdserver: lease is provided")
    public static let tooManyOps = EtcdError(code: .invalidArgument, message: "etcdserver: too many operations in txn request")
    public static let duplicateKey = EtcdError(code: .invalidArgument, message: "etcdserver: duplicate key given in txn request")
    public static let requestTooLarge = EtcdError(code: .invalidArgument, message: "etcdserver: request is too large")
    public static let tooManyRequests = EtcdError(code: .resourceExhausted, message: "etcdserver: too many requests")

    // MVCC.
    public static let compacted = EtcdError(code: .outOfRange, message: "etcdserver: mvcc: required revision has been compacted")
    public static let futureRevision = EtcdError(code: .outOfRange, message: "etcdserver: mvcc: required revision is a future revision")
    public static let noSpace = EtcdError(code: .resourceExhausted, message: "etcdserver: mvcc: database space exceeded")

    // Leases.
    public static let leaseNotFound = EtcdError(code: .notFound, message: "etcdserver: requested lease not found")
    public static let leaseExists = EtcdError(code: .failedPrecondition, message: "etcdserver: lease already exists")
    public static let leaseTTLTooLarge = EtcdError(code: .outOfRange, message: "etcdserver: too large lease TTL")

    // Membership.
    public static let memberExists = EtcdError(code: .failedPrecondition, message: "etcdserver: member ID already exist")
    public static let peerURLExists = EtcdError(code: .failedPrecondition, message: "etcdserver: Peer URLs already exists")
    public static let memberNotEnoughStarted = EtcdError(code: .failedPrecondition, message: "etcdserver: re-configuration failed due to not enough started members")
    public static let memberBadURLs = EtcdError(code: .invalidArgument, message: "etcdserver: given member URLs are invalid")
    public static let memberNotFound = EtcdError(code: .notFound, message: "etcdserver: member not found")
    public static let memberNotLearner = EtcdError(code: .failedPrecondition, message: "etcdserver: can only promote a learner member")
    public static let learnerNotReady = EtcdError(code: .failedPrecondition, message: "etcdserver: can only promote a learner member which is in sync with leader")
    public static let tooManyLearners = EtcdError(code: .failedPrecondition, message: "etcdserver: too many learner members in cluster")

    // Auth.
    public static let authNotEnabled = EtcdError(code: .failedPrecondition, message: "etcdserver: authentication is not enabled")
    public static let invalidAuthToken = EtcdError(code: .unauthenticated, message: "etcdserver: invalid auth token")
    public static let permissionDenied = EtcdError(code: .permissionDenied, message: "etcdserver: permission denied")
    public static let userEmpty = EtcdError(code: .invalidArgument, message: "etcdserver: user name is empty")

    // Raft and server state.
    public static let noLeader = EtcdError(code: .unavailable, message: "etcdserver: no leader")
    public static let notLeader = EtcdError(code: .failedPrecondition, message: "etcdserver: not leader")
    public static let leaderChanged = EtcdError(code: .unavailable, message: "etcdserver: leader changed")
    public static let stopped = EtcdError(code: .unavailable, message: "etcdserver: server stopped")
    public static let timeout = EtcdError(code: .unavailable, message: "etcdserver: request timed out")
    public static let unhealthyCluster = EtcdError(code: .unavailable, message: "etcdserver: unhealthy cluster")
    public static let corrupt = EtcdError(code: .dataLoss, message: "etcdserver: corrupt cluster")
    public static let notSupportedForLearner = EtcdError(code: .unavailable, message: "etcdserver: rpc not supported for learner")
    public static let badLeaderTransferee = EtcdError(code: .failedPrecondition, message: "etcdserver: bad leader transferee")

    // Transport-level errors, worded as grpc-go words them.
    public static let deadlineExceeded = EtcdError(code: .deadlineExceeded, message: "context deadline exceeded")

    public static func messageTooLarge(size: Int, limit: Int) -> EtcdError {
        EtcdError(code: .resourceExhausted, message: "grpc: received message larger than max (\(size) vs. \(limit))")
    }

    public static func unimplemented(_ what: String) -> EtcdError {
        EtcdError(code: .unimplemented, message: what)
    }
}
