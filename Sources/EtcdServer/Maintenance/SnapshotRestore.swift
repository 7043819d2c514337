#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import WAL

/// `swift-etcd snapshot restore <file> ...`: etcdctl's `snapshot restore` for a backup file of
/// swift-etcd. Creates a new data directory whose log starts, as a new cluster's does, with a
/// snapshot at index 1 naming the founding members from the flags, and holding the file's
/// store and leases. Members, their IDs and the cluster ID come from the flags exactly as for
/// a new cluster; the file's revisions, keys and leases are kept as they were.
struct SnapshotRestore {
    /// The flags of etcdctl's restore that mean the same here; the server's own defaults apply.
    static let flags: Set<String> = ["data-dir", "name", "initial-cluster", "initial-cluster-token", "initial-advertise-peer-urls"]

    let path: String
    let configuration: ServerConfiguration

    init(arguments: [String]) throws {
        for argument in arguments {
            if argument.hasPrefix("--wal-dir") {
                throw CommandError("--wal-dir is not supported: swift-etcd keeps the WAL in <data-dir>/member/wal")
            }
            if argument.hasPrefix("--skip-hash-check") {
                throw CommandError("--skip-hash-check is not supported: every file etcdctl saves from swift-etcd ends with its sha256, which restore always checks")
            }
        }
        let parsed = try CommandArguments(arguments, flags: Self.flags)
        path = parsed.positional
        var flags = ParsedFlags()
        flags.values = parsed.values
        // The server's validation: the name is in --initial-cluster with the advertised URLs.
        configuration = try ServerConfiguration(flags)
    }

    /// Checks the whole file before it creates anything; returns what it did.
    func run() throws -> String {
        let directory = configuration.dataDirectory
        if access(directory, F_OK) == 0 { throw CommandError("data-dir \"\(directory)\" exists") }
        let contents: BackupContents
        let summary: BackupSummary
        do {
            contents = try BackupFile.decode(try PosixFileSystem().readFile(atPath: path))
            summary = try BackupSummary(contents)
        } catch {
            throw CommandError("snapshot file \(path): \(error)")
        }
        let quiet = Logger(label: "restore") { _ in SwiftLogNoOpLogHandler() }
        guard case .newCluster(let identity, let members, _) = try ClusterBootstrap.logStart(configuration: configuration, logger: quiet) else {
            preconditionFailure("the restore configuration always starts a new cluster")
        }
        try prepareDirectory(directory)
        _ = try MemberLog.open(dataDirectory: directory, maxSnapshots: configuration.maxSnapshots, maxWALs: configuration.maxWALs) {
            .newCluster(identity, members: members, store: StoreSections(store: contents.store, leases: contents.leases))
        }
        return """
            restored snapshot \(path) (hash \(hex32(summary.hash)), revision \(summary.revision)) into \(directory)
            member \(configuration.name) \(String(identity.memberID, radix: 16)) of cluster \(String(identity.clusterID, radix: 16)), \
            members \(members.map { "\($0.name)=\(String($0.id, radix: 16))" }.joined(separator: ","))
            start it with --initial-cluster-state new and the same --initial-cluster and --initial-cluster-token
            """
    }
}
