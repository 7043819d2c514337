/// Keeps a crowd of leases from expiring in the same second after a promotion, when every
/// lease's clock restarts at once: etcd revokes at most 1000 leases a second, and a pile-up
/// beyond that would delay every other revoke behind it.
enum ExpirySpreading {
    /// etcd aims at three quarters of its revoke rate for piled-up leases, leaving room for
    /// leases that expire on their own.
    static let targetPerSecond = 750

    /// Sorts `schedule` by deadline and moves deadlines later (never earlier) so that past the
    /// first `targetPerSecond` leases of a crowded second the rest follow one every
    /// 1/`targetPerSecond` s. A lease whose deadline falls after the crowd keeps it.
    static func spread(_ schedule: inout [(id: LeaseID, deadline: MonotonicInstant)]) {
        schedule.sort { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        guard schedule.count > targetPerSecond else { return }
        let spacing = Duration.seconds(1) / targetPerSecond
        var crowdStart = schedule[0].deadline
        var crowdEnd = crowdStart + .seconds(1)
        var crowdSize = 0
        for index in schedule.indices {
            let deadline = schedule[index].deadline
            if deadline > crowdEnd {
                crowdStart = deadline
                crowdEnd = deadline + .seconds(1)
                crowdSize = 1
                continue
            }
            crowdSize += 1
            guard crowdSize > targetPerSecond else { continue }
            let spread = max(deadline, crowdStart + spacing * crowdSize)
            schedule[index].deadline = spread
            crowdEnd = max(crowdEnd, spread)
        }
    }
}
