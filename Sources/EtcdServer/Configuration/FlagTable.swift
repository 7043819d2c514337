/// The command-line flags swift-etcd accepts: etcd's names, defaults and kinds.
///
/// Every flag can also be given as an `ETCD_*` environment variable (`--max-txn-ops` ↔
/// `ETCD_MAX_TXN_OPS`). Flags marked `.accepted` are parsed and validated so that existing
/// deployments start unchanged, but the server logs that they have no effect yet.
struct FlagSpec: Sendable {
    enum Kind: Sendable { case string, bool, int, uint }
    enum Support: Sendable { case implemented, accepted }

    let name: String
    let kind: Kind
    let defaultValue: String
    let support: Support
    let help: String

    var environmentName: String {
        "ETCD_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}

enum FlagTable {
    static let all: [FlagSpec] = [
        // Member.
        FlagSpec(name: "name", kind: .string, defaultValue: "default", support: .implemented, help: "Human-readable name for this member."),
        FlagSpec(name: "data-dir", kind: .string, defaultValue: "", support: .implemented, help: "Path to the data directory (default ${name}.etcd)."),
        FlagSpec(name: "wal-dir", kind: .string, defaultValue: "", support: .accepted, help: "Path to the dedicated WAL directory."),
        FlagSpec(name: "listen-client-urls", kind: .string, defaultValue: "http://localhost:2379", support: .implemented, help: "URLs to listen on for client traffic."),
        FlagSpec(name: "advertise-client-urls", kind: .string, defaultValue: "http://localhost:2379", support: .implemented, help: "Client URLs advertised to the rest of the cluster."),
        FlagSpec(name: "listen-peer-urls", kind: .string, defaultValue: "http://localhost:2380", support: .implemented, help: "URLs to listen on for peer traffic."),
        FlagSpec(name: "listen-metrics-urls", kind: .string, defaultValue: "", support: .accepted, help: "Extra URLs serving /metrics and /health."),
        FlagSpec(name: "max-snapshots", kind: .uint, defaultValue: "5", support: .implemented, help: "Maximum number of snapshot files to retain (0 is unlimited)."),
        FlagSpec(name: "max-wals", kind: .uint, defaultValue: "5", support: .implemented, help: "Maximum number of WAL files to retain (0 is unlimited)."),
        FlagSpec(name: "snapshot-count", kind: .uint, defaultValue: "100000", support: .implemented, help: "Committed transactions that trigger a snapshot."),
        FlagSpec(name: "heartbeat-interval", kind: .uint, defaultValue: "100", support: .implemented, help: "Time (in milliseconds) of a heartbeat interval."),
        FlagSpec(name: "election-timeout", kind: .uint, defaultValue: "1000", support: .implemented, help: "Time (in milliseconds) for an election to timeout."),
        FlagSpec(name: "quota-backend-bytes", kind: .int, defaultValue: "0", support: .implemented, help: "Raise alarms when backend size exceeds the given quota. 0 means use the default quota (2 GiB); negative disables it."),
        FlagSpec(name: "max-request-bytes", kind: .uint, defaultValue: "1572864", support: .implemented, help: "Maximum client request size in bytes the server will accept."),
        FlagSpec(name: "max-txn-ops", kind: .uint, defaultValue: "128", support: .implemented, help: "Maximum number of operations permitted in a transaction."),
        FlagSpec(name: "max-concurrent-streams", kind: .uint, defaultValue: "4294967295", support: .implemented, help: "Maximum concurrent streams per client connection."),
        FlagSpec(name: "grpc-keepalive-min-time", kind: .string, defaultValue: "5s", support: .accepted, help: "Minimum interval a client should wait before pinging the server."),
        FlagSpec(name: "grpc-keepalive-interval", kind: .string, defaultValue: "2h", support: .accepted, help: "Frequency of server-to-client pings."),
        FlagSpec(name: "grpc-keepalive-timeout", kind: .string, defaultValue: "20s", support: .accepted, help: "Wait for a ping response before closing the connection."),
        FlagSpec(name: "enable-v2", kind: .bool, defaultValue: "false", support: .accepted, help: "The v2 API is not served; true is rejected."),
        FlagSpec(name: "enable-pprof", kind: .bool, defaultValue: "false", support: .accepted, help: "Go profiling endpoints (no effect)."),
        FlagSpec(name: "enable-grpc-gateway", kind: .bool, defaultValue: "true", support: .accepted, help: "JSON gateway on /v3 (not served yet)."),
        FlagSpec(name: "metrics", kind: .string, defaultValue: "basic", support: .accepted, help: "basic or extensive."),
        FlagSpec(name: "pre-vote", kind: .bool, defaultValue: "false", support: .accepted, help: "Raft pre-vote."),
        FlagSpec(name: "strict-reconfig-check", kind: .bool, defaultValue: "true", support: .accepted, help: "Reject reconfigurations that could cause quorum loss."),
        FlagSpec(name: "force-new-cluster", kind: .bool, defaultValue: "false", support: .accepted, help: "Force to create a new one member cluster."),
        FlagSpec(name: "unsafe-no-fsync", kind: .bool, defaultValue: "false", support: .accepted, help: "Disables fsync, unsafe."),
        // Clustering.
        FlagSpec(name: "initial-advertise-peer-urls", kind: .string, defaultValue: "http://localhost:2380", support: .implemented, help: "This member's peer URLs to advertise to the rest of the cluster."),
        FlagSpec(name: "initial-cluster", kind: .string, defaultValue: "", support: .implemented, help: "Initial cluster configuration for bootstrapping (default ${name}=http://localhost:2380)."),
        FlagSpec(name: "initial-cluster-state", kind: .string, defaultValue: "new", support: .implemented, help: "Initial cluster state ('new' or 'existing')."),
        FlagSpec(name: "initial-cluster-token", kind: .string, defaultValue: "etcd-cluster", support: .implemented, help: "Initial cluster token for the etcd cluster during bootstrap."),
        FlagSpec(name: "auto-compaction-mode", kind: .string, defaultValue: "periodic", support: .implemented, help: "'periodic' or 'revision'."),
        FlagSpec(name: "auto-compaction-retention", kind: .string, defaultValue: "0", support: .implemented, help: "Auto compaction retention (0 disables; periodic: hours or a duration like 30m; revision: a revision count)."),
        FlagSpec(name: "experimental-initial-corrupt-check", kind: .bool, defaultValue: "false", support: .implemented, help: "Enable to check data corruption before serving any client/peer traffic."),
        FlagSpec(name: "experimental-corrupt-check-time", kind: .string, defaultValue: "0s", support: .implemented, help: "Duration of time between cluster corruption check passes (0 disables)."),
        FlagSpec(name: "experimental-watch-progress-notify-interval", kind: .string, defaultValue: "10m", support: .implemented, help: "Interval of watch progress notifications."),
        // Logging.
        FlagSpec(name: "logger", kind: .string, defaultValue: "capnslog", support: .implemented, help: "'zap' (JSON lines) or 'capnslog' (text lines)."),
        FlagSpec(name: "log-outputs", kind: .string, defaultValue: "default", support: .implemented, help: "'default', 'stderr' or 'stdout'."),
        FlagSpec(name: "log-level", kind: .string, defaultValue: "info", support: .implemented, help: "debug, info, warn, error, panic or fatal."),
        // Auth and TLS (accepted so deployments start; not served yet).
        FlagSpec(name: "auth-token", kind: .string, defaultValue: "simple", support: .accepted, help: "Auth token type."),
        FlagSpec(name: "cert-file", kind: .string, defaultValue: "", support: .accepted, help: "Client TLS certificate (TLS is not served yet)."),
        FlagSpec(name: "key-file", kind: .string, defaultValue: "", support: .accepted, help: "Client TLS key (TLS is not served yet)."),
        FlagSpec(name: "trusted-ca-file", kind: .string, defaultValue: "", support: .accepted, help: "Client TLS CA (TLS is not served yet)."),
        FlagSpec(name: "client-cert-auth", kind: .bool, defaultValue: "false", support: .accepted, help: "Client certificate auth (TLS is not served yet)."),
        FlagSpec(name: "peer-cert-file", kind: .string, defaultValue: "", support: .accepted, help: "Peer TLS certificate (TLS is not served yet)."),
        FlagSpec(name: "peer-key-file", kind: .string, defaultValue: "", support: .accepted, help: "Peer TLS key (TLS is not served yet)."),
        FlagSpec(name: "peer-trusted-ca-file", kind: .string, defaultValue: "", support: .accepted, help: "Peer TLS CA (TLS is not served yet)."),
        FlagSpec(name: "peer-client-cert-auth", kind: .bool, defaultValue: "false", support: .accepted, help: "Peer certificate auth (TLS is not served yet)."),
    ]

    static func spec(named name: String) -> FlagSpec? {
        all.first { $0.name == name }
    }
}
