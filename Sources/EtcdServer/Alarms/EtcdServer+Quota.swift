import EtcdWire

extension EtcdServer {
    /// `etcd_server_quota_backend_bytes`: the configured quota, etcd's default for 0.
    public var quotaBackendBytes: Int64 { quota.reportedBytes }

    /// A write did not fit the quota: like etcd's quota check, the member raises a NOSPACE
    /// alarm for itself through the log (so every member refuses writes that take space) and
    /// answers once the alarm is applied, whether or not raising it worked.
    func raiseNoSpaceAlarm(then answer: @escaping @Sendable () -> Void) {
        var request = AlarmRequest()
        request.action = .activate
        request.memberID = memberID
        request.alarm = .noSpace
        raftLoop.propose(.alarm(request)) { _ in answer() }
    }
}
