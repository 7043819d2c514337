import NIOCore

/// When an automatic compactor compacts, and at which revision: the pure part of etcd's
/// compactors (`etcdserver/api/v3compactor`), driven by `AutoCompactor` with the real clock and
/// by tests with a made-up one.
///
/// The compactor loops: `willWait`, wait `interval`, then — only while this member leads, as
/// etcd pauses its compactor on followers — `due`; if that names a revision it proposes a
/// compaction there and, once it is applied (or the revision was already compacted),
/// reports `compacted`. Then it loops again.
protocol CompactionSchedule {
    var interval: TimeAmount { get }
    /// etcd's mode name, for the log.
    var mode: String { get }
    /// The retention as the log shows it.
    var retention: String { get }
    mutating func willWait(currentRevision: Int64)
    mutating func due(now: NIODeadline, currentRevision: Int64) -> Int64?
    mutating func compacted(at revision: Int64, now: NIODeadline)
}

/// etcd's Periodic compactor: it remembers the revision every tenth of the retention (of an
/// hour at most), waits one whole retention after starting, then compacts at the revision
/// from one retention ago, and again every retention (every hour at most) after each success.
struct PeriodicCompactionSchedule: CompactionSchedule {
    let period: TimeAmount
    private var revisions: [Int64] = []
    private var lastSuccess: NIODeadline
    /// The whole retention before the first compaction, the compaction interval after it.
    private var waitBeforeCompacting: TimeAmount

    init(period: TimeAmount, startedAt now: NIODeadline) {
        self.period = period
        lastSuccess = now
        waitBeforeCompacting = period
    }

    var mode: String { "periodic" }
    var retention: String {
        let units: [(String, Int64)] = [("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000)]
        let (unit, size) = units.first { period.nanoseconds % $0.1 == 0 } ?? ("ns", 1)
        return "\(period.nanoseconds / size)\(unit)"
    }

    /// A tenth of the compaction interval: how often a revision is remembered, and how soon a
    /// failed compaction is tried again.
    var interval: TimeAmount { .nanoseconds(max(compactionInterval.nanoseconds / 10, 1)) }

    private var compactionInterval: TimeAmount { min(period, .hours(1)) }

    /// Enough remembered revisions to reach one retention back.
    private var remembered: Int { Int(period.nanoseconds / interval.nanoseconds) + 1 }

    mutating func willWait(currentRevision: Int64) {
        revisions.append(currentRevision)
        if revisions.count > remembered { revisions.removeFirst() }
    }

    mutating func due(now: NIODeadline, currentRevision: Int64) -> Int64? {
        guard now - lastSuccess >= waitBeforeCompacting else { return nil }
        waitBeforeCompacting = compactionInterval
        return revisions.first
    }

    mutating func compacted(at revision: Int64, now: NIODeadline) {
        lastSuccess = now
    }
}

/// etcd's Revision compactor: every five minutes it compacts at the current revision minus
/// the retention, unless that is not positive or is where it compacted last.
struct RevisionCompactionSchedule: CompactionSchedule {
    static let checkInterval = TimeAmount.minutes(5)

    let keep: Int64
    let interval: TimeAmount
    private var lastCompacted: Int64 = 0

    init(keep: Int64, interval: TimeAmount = Self.checkInterval) {
        self.keep = keep
        self.interval = interval
    }

    var mode: String { "revision" }
    var retention: String { "\(keep) revisions" }

    mutating func willWait(currentRevision: Int64) {}

    func due(now: NIODeadline, currentRevision: Int64) -> Int64? {
        let revision = currentRevision - keep
        return revision <= 0 || revision == lastCompacted ? nil : revision
    }

    mutating func compacted(at revision: Int64, now: NIODeadline) {
        lastCompacted = revision
    }
}
