@testable import Raft

// How messages reach members and how members handle their work, in both phases.

extension Simulation {
    func deliver(_ message: Message) throws {
        let target = nodes[Int(message.to) - 1]
        let sender = nodes[Int(message.from) - 1]
        guard let raw = target.raw, network.canReach(from: message.from, to: message.to),
              !isCampaignFromRemovedMember(message) else {
            record { "lost \(Self.describe(message))" }
            if message.type == .snap { sender.raw?.reportSnapshot(to: message.to, status: .failed) }
            if Bool.random(using: &random) { sender.raw?.reportUnreachable(message.to) }
            return
        }
        record { "deliver \(Self.describe(message))" }
        try? raw.step(message)
        if message.type == .snap {
            stats.snapshotsDelivered += 1
            sender.raw?.reportSnapshot(to: message.to, status: .finished)
        }
    }

    /// A member removed by a committed change that missed its removal keeps campaigning and
    /// would depose working leaders; etcd's transport rejects removed members, and so does this
    /// network. (Ids are reused here, so the committed membership, not any one member's view,
    /// says who is removed.)
    func isCampaignFromRemovedMember(_ message: Message) -> Bool {
        (message.type == .vote || message.type == .preVote) && !checker.committedMembership.contains(message.from)
    }

    /// Most of the time a member handles its work right after an event, as a server would;
    /// otherwise the work waits, half-done or not started, for a later step (or a crash).
    func handleWorkOften(_ node: SimulatedNode) throws {
        switch Int.random(in: 0..<8, using: &random) {
        case 0..<5:
            try begin(node)
            try complete(node, syncAlways: false)
        case 5:
            try begin(node)
        default:
            break
        }
    }

    func begin(_ node: SimulatedNode) throws {
        guard let raft = node.raw?.node else { return }
        try checker.check(raft)
        guard let ready = node.beginReady() else { return }
        if ready.softState?.role == .leader { newLeader = node.id }
        record { "node \(node.id) writes ready: \(ready.entries.count) entries, hard state \(String(describing: ready.hardState)), snapshot \(ready.snapshot?.metadata.index ?? 0), \(ready.committedEntries.count) to apply, \(ready.messages.count) messages" }
        unsyncedEntries[node.id] = try checker.taking(ready, on: raft)
    }

    func complete(_ node: SimulatedNode, syncAlways: Bool) throws {
        let sync = syncAlways || Int.random(in: 0..<4, using: &random) == 0
        guard let ready = try node.completeReady(syncEvenIfNotRequired: sync, applied: { event in
            if case .entry(let entry, _) = event, entry.data.first == Self.markerPrefix, entry.data.count == 9 {
                markerApplied[node.id] = max(markerApplied[node.id] ?? 0, Self.requestID(entry.data))
            }
            try checker.applied(event, on: node.id)
            if case .entry(let entry, _) = event, entry.type == .confChange { stats.confChangesApplied += 1 }
        }) else { return }
        try checker.durable(unsyncedEntries.removeValue(forKey: node.id) ?? [], on: node.id)
        let appliedThrough = node.stateMachine.appliedIndex
        record { "node \(node.id) synced\(ready.mustSync || sync ? "" : " (no fsync)"), sends \(ready.messages.count), applied through \(appliedThrough)" }
        stats.readsAnswered += ready.readStates.count
        for message in ready.messages {
            try checker.sending(message)
            if !network.send(message, using: &random), message.type == .snap {
                node.raw?.reportSnapshot(to: message.to, status: .failed)
            }
        }
    }
}
