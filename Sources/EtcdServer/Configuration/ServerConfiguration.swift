import Logging
import NIOCore

/// The validated configuration of one member, built from flags and `ETCD_*` variables.
public struct ServerConfiguration: Sendable {
    public enum ClusterState: String, Sendable { case new, existing }
    public enum LoggerKind: String, Sendable { case zap, capnslog }

    public var name: String
    public var dataDirectory: String
    public var listenClientURLs: [EndpointURL]
    public var listenPeerURLs: [EndpointURL]
    public var advertiseClientURLs: [EndpointURL]
    public var initialAdvertisePeerURLs: [EndpointURL]
    /// Member name → peer URLs, from `--initial-cluster`, in the order given.
    public var initialCluster: [(name: String, peerURLs: [EndpointURL])]
    public var initialClusterState: ClusterState
    public var initialClusterToken: String
    public var heartbeatIntervalMs: Int
    public var electionTimeoutMs: Int
    public var maxRequestBytes: Int
    public var maxTxnOps: Int
    public var maxConcurrentStreams: UInt32
    /// Retention of snapshot and WAL files (`--max-snapshots`, `--max-wals`).
    public var maxSnapshots: Int
    public var maxWALs: Int
    /// Applied entries between snapshots of the store, after which the log before them is let go.
    public var snapshotCount: UInt64
    /// How often idle watchers that asked for progress notifications are told the revision.
    public var watchProgressNotifyIntervalMs: Int
    /// `--quota-backend-bytes` as given (see `BackendQuota`).
    public var quotaBackendBytes: Int64
    /// nil: no automatic compaction.
    public var autoCompaction: AutoCompactionPolicy?
    /// `--experimental-initial-corrupt-check`.
    public var initialCorruptCheck: Bool
    /// `--experimental-corrupt-check-time`; nil: no periodic corruption check.
    public var corruptCheckInterval: TimeAmount?
    public var logLevel: Logger.Level
    public var logger: LoggerKind
    public var logToStdout: Bool
    /// Flags that were set but have no effect yet; logged at startup.
    public var acceptedButInactive: [String]
    public var warnings: [String]

    /// The gRPC layer accepts messages up to this size; etcd allows 512 KiB above the proposal limit.
    public var maxReceiveMessageBytes: Int { maxRequestBytes + 512 * 1024 }

    /// How long a client waits for its write or linearizable read before `request timed out`:
    /// etcd's 5 s plus two election timeouts.
    public var requestTimeout: TimeAmount { .milliseconds(Int64(5000 + 2 * electionTimeoutMs)) }

    /// The minimum lease TTL etcd derives from the election timeout: ceil(1.5 × election timeout).
    public var minimumLeaseTTLSeconds: Int64 { Int64((3 * electionTimeoutMs + 1999) / 2000) }
}

extension ServerConfiguration {
    /// What the command line asked for: run a member, or print something and exit.
    public enum Invocation: Sendable {
        case run(ServerConfiguration)
        case printVersion
        case printHelp
    }

    public static func invocation(arguments: [String], environment: [String: String]) throws -> Invocation {
        let flags = try FlagParser.parse(arguments: arguments, environment: environment)
        if flags.showHelp { return .printHelp }
        if flags.showVersion { return .printVersion }
        return .run(try ServerConfiguration(flags))
    }

    init(_ flags: ParsedFlags) throws {
        let name = flags.value("name")
        self.name = name
        dataDirectory = flags.isSet("data-dir") ? flags.value("data-dir") : "\(name).etcd"
        listenClientURLs = try EndpointURL.parseList(flags.value("listen-client-urls"), flag: "listen-client-urls")
        advertiseClientURLs = try EndpointURL.parseList(flags.value("advertise-client-urls"), flag: "advertise-client-urls")
        let initialAdvertisePeerURLs = try EndpointURL.parseList(flags.value("initial-advertise-peer-urls"), flag: "initial-advertise-peer-urls")
        self.initialAdvertisePeerURLs = initialAdvertisePeerURLs
        listenPeerURLs = try EndpointURL.parseList(flags.value("listen-peer-urls"), flag: "listen-peer-urls")
        for url in listenClientURLs where url.scheme != "http" {
            throw ConfigurationError("--listen-client-urls \(url): only http:// listeners are served yet (TLS and unix sockets are not implemented)")
        }
        for url in listenPeerURLs + initialAdvertisePeerURLs where url.scheme != "http" {
            throw ConfigurationError("peer URL \(url): only http:// peers are supported yet (peer TLS is not implemented)")
        }

        let clusterText = flags.isSet("initial-cluster")
            ? flags.value("initial-cluster")
            : initialAdvertisePeerURLs.map { "\(name)=\($0)" }.joined(separator: ",")
        let initialCluster = try Self.parseInitialCluster(clusterText)
        self.initialCluster = initialCluster
        guard let own = initialCluster.first(where: { $0.name == name }) else {
            throw ConfigurationError("couldn't find local name \"\(name)\" in the initial cluster configuration")
        }
        guard Set(own.peerURLs) == Set(initialAdvertisePeerURLs) else {
            throw ConfigurationError("--initial-cluster has \(name)=\(own.peerURLs.map(\.description).joined(separator: ",")) but missing from --initial-advertise-peer-urls=\(initialAdvertisePeerURLs.map(\.description).joined(separator: ","))")
        }
        guard let state = ClusterState(rawValue: flags.value("initial-cluster-state")) else {
            throw ConfigurationError("invalid value \"\(flags.value("initial-cluster-state"))\" for flag -initial-cluster-state: valid values are \"new\", \"existing\"")
        }
        initialClusterState = state
        initialClusterToken = flags.value("initial-cluster-token")
        var seenPeerURLs: Set<EndpointURL> = []
        for member in initialCluster {
            for url in member.peerURLs where !seenPeerURLs.insert(url).inserted {
                throw ConfigurationError("--initial-cluster has duplicate url \(url)")
            }
        }

        let heartbeatIntervalMs = Int(flags.value("heartbeat-interval"))!
        let electionTimeoutMs = Int(flags.value("election-timeout"))!
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.electionTimeoutMs = electionTimeoutMs
        guard heartbeatIntervalMs > 0 else { throw ConfigurationError("--heartbeat-interval must be greater than 0") }
        guard electionTimeoutMs >= 5 * heartbeatIntervalMs else {
            throw ConfigurationError("--election-timeout[\(electionTimeoutMs)ms] should be at least as 5 times as --heartbeat-interval[\(heartbeatIntervalMs)ms]")
        }
        guard electionTimeoutMs <= 50000 else {
            throw ConfigurationError("--election-timeout[\(electionTimeoutMs)ms] is too long, and should be set less than 50000ms")
        }

        let maxRequestBytes = Int(clamping: UInt64(flags.value("max-request-bytes"))!)
        let maxTxnOps = Int(clamping: UInt64(flags.value("max-txn-ops"))!)
        self.maxRequestBytes = maxRequestBytes
        self.maxTxnOps = maxTxnOps
        guard maxRequestBytes > 0, maxRequestBytes <= Int(Int32.max) - 512 * 1024 else {
            throw ConfigurationError("--max-request-bytes must be between 1 and \(Int(Int32.max) - 512 * 1024)")
        }
        guard maxTxnOps > 0 else { throw ConfigurationError("--max-txn-ops must be greater than 0") }
        maxConcurrentStreams = UInt32(clamping: UInt64(flags.value("max-concurrent-streams"))!)
        maxSnapshots = Int(clamping: UInt64(flags.value("max-snapshots"))!)
        maxWALs = Int(clamping: UInt64(flags.value("max-wals"))!)
        snapshotCount = max(1, UInt64(flags.value("snapshot-count"))!)
        let progressInterval = try Self.parseWatchProgressInterval(flags.value("experimental-watch-progress-notify-interval"))
        watchProgressNotifyIntervalMs = progressInterval.milliseconds

        logLevel = try LogLevelName.parse(flags.value("log-level"))
        guard let loggerKind = LoggerKind(rawValue: flags.value("logger")) else {
            throw ConfigurationError("unknown logger \"\(flags.value("logger"))\" (expected zap or capnslog)")
        }
        logger = loggerKind
        switch flags.value("log-outputs") {
        case "default", "stderr": logToStdout = false
        case "stdout": logToStdout = true
        case let other: throw ConfigurationError("--log-outputs \(other): only default, stderr or stdout are supported")
        }

        quotaBackendBytes = Int64(flags.value("quota-backend-bytes"))!
        var quotaWarnings: [String] = []
        if quotaBackendBytes > BackendQuota.maxRecommendedBytes {
            quotaWarnings.append("quota exceeds the maximum value (quota-size-bytes \(quotaBackendBytes), quota-maximum-size-bytes \(BackendQuota.maxRecommendedBytes))")
        }
        autoCompaction = try AutoCompactionPolicy.parse(mode: flags.value("auto-compaction-mode"), retention: flags.value("auto-compaction-retention"))
        initialCorruptCheck = FlagParser.parseBool(flags.value("experimental-initial-corrupt-check")) ?? false
        corruptCheckInterval = try Self.parseCorruptCheckTime(flags.value("experimental-corrupt-check-time"))
        if FlagParser.parseBool(flags.value("enable-v2")) == true {
            throw ConfigurationError("--enable-v2: the v2 API is not served by swift-etcd")
        }

        acceptedButInactive = FlagTable.all
            .filter { $0.support == .accepted && flags.isSet($0.name) }
            .map(\.name)
        warnings = flags.warnings + progressInterval.warnings + quotaWarnings
    }

    /// etcd keeps its 10-minute default for 0 or a negative interval, and raises anything below
    /// 100 ms to 100 ms, with a warning.
    private static func parseWatchProgressInterval(_ text: String) throws -> (milliseconds: Int, warnings: [String]) {
        let isNegative = text.hasPrefix("-")
        guard let seconds = GoDuration.seconds(isNegative ? String(text.dropFirst()) : text) else {
            throw ConfigurationError("invalid value \"\(text)\" for flag -experimental-watch-progress-notify-interval: parse error")
        }
        if isNegative || seconds == 0 { return (10 * 60 * 1000, []) }
        if seconds < 0.1 { return (100, ["adjusting watch progress notify interval to minimum period 100ms"]) }
        return (Int((seconds * 1000).rounded()), [])
    }

    private static func parseInitialCluster(_ text: String) throws -> [(name: String, peerURLs: [EndpointURL])] {
        var members: [(name: String, peerURLs: [EndpointURL])] = []
        for entry in text.split(separator: ",") {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ConfigurationError("--initial-cluster: entry \"\(entry)\" is not NAME=URL")
            }
            let memberName = String(entry[..<equals])
            let url = try EndpointURL(parsing: String(entry[entry.index(after: equals)...]), flag: "initial-cluster")
            if let index = members.firstIndex(where: { $0.name == memberName }) {
                members[index].peerURLs.append(url)
            } else {
                members.append((memberName, [url]))
            }
        }
        guard !members.isEmpty else { throw ConfigurationError("--initial-cluster must not be empty") }
        return members
    }

    /// A Go duration; 0 turns the check off. etcd would take a negative one as "check
    /// continuously"; swift-etcd refuses it.
    private static func parseCorruptCheckTime(_ text: String) throws -> TimeAmount? {
        guard let seconds = GoDuration.seconds(text) else {
            throw ConfigurationError("invalid value \"\(text)\" for flag -experimental-corrupt-check-time: parse error")
        }
        return seconds == 0 ? nil : .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
