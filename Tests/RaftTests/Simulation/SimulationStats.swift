/// What a run exercised, summed over seeds to show the simulation reaches the interesting cases.
struct SimulationStats {
    var committedBeforeHealing: UInt64 = 0
    var termsWithLeader = 0
    var crashes = 0
    var unsyncedWritesLost = 0
    var snapshotsDelivered = 0
    var confChangesApplied = 0
    var readsAnswered = 0

    static func + (a: Self, b: Self) -> Self {
        Self(committedBeforeHealing: a.committedBeforeHealing + b.committedBeforeHealing,
             termsWithLeader: a.termsWithLeader + b.termsWithLeader, crashes: a.crashes + b.crashes,
             unsyncedWritesLost: a.unsyncedWritesLost + b.unsyncedWritesLost,
             snapshotsDelivered: a.snapshotsDelivered + b.snapshotsDelivered,
             confChangesApplied: a.confChangesApplied + b.confChangesApplied,
             readsAnswered: a.readsAnswered + b.readsAnswered)
    }
}
