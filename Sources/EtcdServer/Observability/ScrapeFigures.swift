/// What /metrics reports about the member's state, read when it is scraped.
struct ScrapeFigures {
    var commitIndex: UInt64
    var appliedIndex: UInt64
    var dbSize: Int64
    var dbSizeInUse: Int64
    var quotaBackendBytes: Int64
    var isLearner: Bool
}

extension EtcdServer {
    /// The same figures Status reports, so /metrics and `etcdctl endpoint status` agree.
    var scrapeFigures: ScrapeFigures {
        let status = status()
        return ScrapeFigures(
            commitIndex: status.raftIndex, appliedIndex: status.raftAppliedIndex,
            dbSize: status.dbSize, dbSizeInUse: status.dbSizeInUse,
            quotaBackendBytes: quotaBackendBytes,
            isLearner: isLearner)
    }
}
