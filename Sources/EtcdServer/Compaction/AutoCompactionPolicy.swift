import NIOCore

/// `--auto-compaction-mode` and `--auto-compaction-retention`, read as etcd 3.4 reads them
/// (`embed/etcd.go`, `parseCompactionRetention`).
public enum AutoCompactionPolicy: Hashable, Sendable {
    /// Keep the history of the last `retention` (etcd's Periodic compactor).
    case periodic(retention: TimeAmount)
    /// Keep the last `retention` revisions (etcd's Revision compactor).
    case revision(retention: Int64)

    /// nil when the retention is 0: no automatic compaction, etcd's default.
    ///
    /// A plain number is hours in periodic mode and a revision count in revision mode;
    /// anything else must be a Go duration, which revision mode takes as a count of
    /// nanoseconds, as etcd does (`1m` keeps 60000000000 revisions).
    static func parse(mode: String, retention: String) throws -> AutoCompactionPolicy? {
        guard mode == "periodic" || mode == "revision" else {
            throw ConfigurationError("unknown auto-compaction-mode \"\(mode)\"")
        }
        let amount: Int64
        if let number = Int64(retention), number >= 0 {
            amount = mode == "periodic" ? number * 3_600_000_000_000 : number
        } else if let seconds = GoDuration.seconds(retention) {
            amount = Int64((seconds * 1e9).rounded())
        } else {
            throw ConfigurationError("invalid auto-compaction-retention: error parsing CompactionRetention: time: invalid duration \"\(retention)\"")
        }
        guard amount != 0 else { return nil }
        return mode == "periodic" ? .periodic(retention: .nanoseconds(amount)) : .revision(retention: amount)
    }
}
