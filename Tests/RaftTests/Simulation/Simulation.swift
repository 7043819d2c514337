@testable import Raft

/// One seeded run: a cluster of 3 or 5 members (plus one spare that can join) under random
/// faults, checked for safety after every step, then healed and checked for liveness.
/// Everything random comes from the seed, so a seed replays exactly.
final class Simulation {
    let seed: UInt64
    private var random: SplitMix64
    private(set) var nodes: [SimulatedNode] = []
    private var network = SimulatedNetwork()
    private let checker: SafetyChecker
    private(set) var step = 0
    /// The last actions, for the failure report: a ring whose oldest slot is `nextActionSlot`.
    private var recentActions: [(step: Int, describe: () -> String)] = []
    private var nextActionSlot = 0
    private static let recentActionLimit = 80
    private let traceAll: Bool
    private var nextRequestID: UInt64 = 1
    /// The highest liveness marker each member has applied.
    private var markerApplied: [UInt64: UInt64] = [:]
    let summary: String
    private(set) var stats = SimulationStats()

    private static let markerPrefix: UInt8 = 0xEE

    init(seed: UInt64, traceAll: Bool = false) {
        self.seed = seed
        self.traceAll = traceAll
        random = SplitMix64(seed: seed)
        let founders = Bool.random(using: &random) ? 3 : 5
        // Short timeouts keep elections frequent within a few hundred steps.
        var config = RaftConfig(id: 1, electionTick: Int.random(in: 3...8, using: &random))
        config.heartbeatTick = Int.random(in: 1...(config.electionTick / 2), using: &random)
        config.maxInflightMsgs = Int.random(in: 1...8, using: &random)
        config.maxSizePerMsg = [40, 120, 1 << 20].randomElement(using: &random)!
        config.maxCommittedSizePerReady = [40, 1 << 20].randomElement(using: &random)!
        config.checkQuorum = Bool.random(using: &random)
        config.preVote = Bool.random(using: &random)
        network.dropProbability = Double.random(in: 0...0.15, using: &random)
        network.duplicateProbability = Double.random(in: 0...0.05, using: &random)
        let bootstrap = Snapshot.bootstrap(ConfState(voters: (1...UInt64(founders)).map { $0 }))
        checker = SafetyChecker(bootstrap: bootstrap)
        for id in 1...UInt64(founders + 1) {
            config.id = id
            // The last member is a spare: empty, not in the cluster until it is added.
            let isSpare = id == UInt64(founders + 1)
            nodes.append(SimulatedNode(id: id, config: config, initialSnapshot: isSpare ? Snapshot() : bootstrap))
        }
        summary = "\(founders) voters + 1 spare, preVote \(config.preVote), checkQuorum \(config.checkQuorum), "
            + "electionTick \(config.electionTick), heartbeatTick \(config.heartbeatTick), maxInflight \(config.maxInflightMsgs), "
            + "maxSizePerMsg \(config.maxSizePerMsg), drop \(network.dropProbability), duplicate \(network.duplicateProbability)"
    }

    /// Runs `faultSteps` random steps, checking safety after each, then heals the cluster and
    /// checks that it makes progress again.
    func run(faultSteps: Int) throws {
        for _ in 0..<faultSteps {
            step += 1
            try randomStep()
            try checker.check(nodes)
        }
        stats.committedBeforeHealing = checker.highestCommitted
        stats.termsWithLeader = checker.termsWithLeader
        try checkLiveness()
    }

    var recentActionsReport: String {
        let ordered = recentActions[nextActionSlot...] + recentActions[..<nextActionSlot]
        return ordered.map { "step \($0.step): \($0.describe())" }.joined(separator: "\n")
    }

    /// Remembers an action for the failure report. The description is only built if it is
    /// printed, so it must capture values, not members that change later.
    private func record(_ describe: @escaping () -> String) {
        if traceAll { print("step \(step): \(describe())") }
        let action = (step: step, describe: describe)
        if recentActions.count < Self.recentActionLimit {
            recentActions.append(action)
        } else {
            recentActions[nextActionSlot] = action
            nextActionSlot = (nextActionSlot + 1) % Self.recentActionLimit
        }
    }

    // MARK: Fault phase

    private enum Action: CaseIterable {
        case deliver, tick, beginReady, completeReady, propose, read, confChange, transfer, compact
        case crash, restart, partition, heal

        /// Relative frequency per step.
        var weight: Int {
            switch self {
            case .deliver: return 450
            case .tick: return 120
            case .beginReady: return 40
            case .completeReady: return 60
            case .propose: return 100
            case .read: return 30
            case .compact: return 25
            case .restart: return 25
            case .confChange: return 12
            case .transfer: return 8
            case .crash: return 8
            case .partition: return 6
            case .heal: return 15
            }
        }

        static let totalWeight = allCases.reduce(0) { $0 + $1.weight }
    }

    private func isApplicable(_ action: Action) -> Bool {
        switch action {
        case .deliver: return !network.inFlight.isEmpty
        case .beginReady: return nodes.contains { $0.raw?.hasReady == true && $0.pendingReady == nil }
        case .completeReady: return nodes.contains { $0.pendingReady != nil }
        case .restart: return nodes.contains { !$0.isUp }
        case .crash: return upNodes.count > 1
        case .partition: return !network.isPartitioned
        case .heal: return network.isPartitioned
        case .confChange, .transfer: return currentLeader != nil
        case .tick, .propose, .read, .compact: return true
        }
    }

    /// Picks an action by weight, drawing again while the pick cannot apply (an applicable
    /// one comes up quickly: ticks and proposals always apply).
    private func randomStep() throws {
        var action: Action
        repeat {
            var roll = Int.random(in: 0..<Action.totalWeight, using: &random)
            action = Action.allCases.first { roll -= $0.weight; return roll < 0 }!
        } while !isApplicable(action)
        switch action {
        case .deliver: try deliverRandomMessage()
        case .tick: try tick()
        case .beginReady: try beginReady()
        case .completeReady: try completeReady(syncAlways: false)
        case .propose: propose()
        case .read: read()
        case .confChange: changeMembership()
        case .transfer: transferLeadership()
        case .compact: compact()
        case .crash: crash()
        case .restart: restart()
        case .partition: partition()
        case .heal:
            record { "heal partitions" }
            network.heal()
        }
    }

    private var upNodes: [SimulatedNode] {
        var up: [SimulatedNode] = []
        for node in nodes where node.isUp { up.append(node) }
        return up
    }

    private func randomUpNode() -> SimulatedNode? {
        upNodes.randomElement(using: &random)
    }

    /// The member that believes it leads the highest term, if any.
    private var currentLeader: SimulatedNode? {
        upNodes.filter { $0.raw!.node.role.kind == .leader }.max { $0.raw!.node.term < $1.raw!.node.term }
    }

    /// Delivers up to three random messages (the rest wait: delay and reordering).
    private func deliverRandomMessage() throws {
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard let message = network.takeRandom(using: &random) else { return }
            try deliver(message)
            try handleWorkOften(nodes[Int(message.to) - 1])
        }
    }

    private func deliver(_ message: Message) throws {
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
    private func isCampaignFromRemovedMember(_ message: Message) -> Bool {
        (message.type == .vote || message.type == .preVote) && !checker.committedMembership.contains(message.from)
    }

    /// Time passes for everyone, with a little skew: each member misses a tick now and then.
    private func tick() throws {
        record { "tick" }
        for node in upNodes where Int.random(in: 0..<10, using: &random) > 0 {
            node.raw!.tick()
            try handleWorkOften(node)
        }
    }

    /// Most of the time a member handles its work right after an event, as a server would;
    /// otherwise the work waits, half-done or not started, for a later step (or a crash).
    private func handleWorkOften(_ node: SimulatedNode) throws {
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

    private func beginReady() throws {
        guard let node = nodes.filter({ $0.raw?.hasReady == true && $0.pendingReady == nil }).randomElement(using: &random) else { return }
        try begin(node)
    }

    private func begin(_ node: SimulatedNode) throws {
        guard let raft = node.raw?.node else { return }
        try checker.check(raft)
        guard let ready = node.beginReady() else { return }
        record { "node \(node.id) writes ready: \(ready.entries.count) entries, hard state \(String(describing: ready.hardState)), snapshot \(ready.snapshot?.metadata.index ?? 0), \(ready.committedEntries.count) to apply, \(ready.messages.count) messages" }
        try checker.persisting(ready, on: raft)
    }

    private func completeReady(syncAlways: Bool) throws {
        guard let node = nodes.filter({ $0.pendingReady != nil }).randomElement(using: &random) else { return }
        try complete(node, syncAlways: syncAlways)
    }

    private func complete(_ node: SimulatedNode, syncAlways: Bool) throws {
        let sync = syncAlways || Int.random(in: 0..<4, using: &random) == 0
        guard let ready = try node.completeReady(syncEvenIfNotRequired: sync, applied: { event in
            if case .entry(let entry, _) = event, entry.data.first == Self.markerPrefix, entry.data.count == 9 {
                markerApplied[node.id] = max(markerApplied[node.id] ?? 0, Self.requestID(entry.data))
            }
            try checker.applied(event, on: node.id)
            if case .entry(let entry, _) = event, entry.type == .confChange { stats.confChangesApplied += 1 }
        }) else { return }
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

    private func newRequestID(prefix: UInt8) -> [UInt8] {
        defer { nextRequestID += 1 }
        return [prefix] + (0..<8).map { UInt8(truncatingIfNeeded: nextRequestID >> (8 * UInt64($0))) }
    }

    private static func requestID(_ data: [UInt8]) -> UInt64 {
        (1..<9).reduce(0) { $0 | UInt64(data[$1]) << (8 * UInt64($1 - 1)) }
    }

    private func propose() {
        guard let node = randomUpNode() else { return }
        let data = newRequestID(prefix: 0x50)
        do {
            try node.raw!.propose(data)
            record { "propose \(Self.requestID(data)) at \(node.id)" }
        } catch {
            record { "propose at \(node.id) refused: \(error)" }
        }
    }

    private func read() {
        guard let node = randomUpNode() else { return }
        let context = newRequestID(prefix: 0x52)
        checker.readRequested(context: context)
        do {
            try node.raw!.readIndex(context: context)
            record { "read \(Self.requestID(context)) at \(node.id)" }
        } catch {
            record { "read at \(node.id) refused: \(error)" }
        }
    }

    private func changeMembership() {
        guard let leader = currentLeader else { return }
        let confState = leader.raw!.status.confState
        let members = confState.voters + confState.learners
        let outsiders = nodes.map(\.id).filter { !members.contains($0) }
        var options: [ConfChange] = []
        options += outsiders.map { ConfChange(kind: .addLearner, nodeID: $0) }
        options += outsiders.map { ConfChange(kind: .addVoter, nodeID: $0) }
        options += confState.learners.map { ConfChange(kind: .addVoter, nodeID: $0) }
        options += confState.learners.map { ConfChange(kind: .removeNode, nodeID: $0) }
        options += confState.voters.map { ConfChange(kind: .removeNode, nodeID: $0) }
        guard let change = options.randomElement(using: &random) else { return }
        do {
            try leader.raw!.proposeConfChange(change)
            record { "leader \(leader.id) proposes \(change.kind) \(change.nodeID)" }
        } catch {
            record { "leader \(leader.id) refused \(change.kind) \(change.nodeID): \(error)" }
        }
    }

    private func transferLeadership() {
        guard let leader = currentLeader,
              let target = leader.raw!.status.confState.voters.randomElement(using: &random) else { return }
        do {
            try leader.raw!.transferLeadership(to: target)
            record { "leader \(leader.id) transfers to \(target)" }
        } catch {
            record { "transfer from \(leader.id) to \(target) refused: \(error)" }
        }
    }

    private func compact() {
        guard let node = randomUpNode() else { return }
        let retain = UInt64.random(in: 0...4, using: &random)
        node.compact(retain: retain)
        let (snapshotIndex, compactedIndex) = (node.stateMachine.appliedIndex, node.storage.firstIndex - 1)
        record { "node \(node.id) snapshots at \(snapshotIndex), compacts to \(compactedIndex)" }
    }

    /// Crashes a member, preferring one with writes in flight so that losing them is common.
    private func crash() {
        let busy = upNodes.filter { $0.unsyncedRecordCount > 0 || $0.pendingReady != nil }
        guard let node = Bool.random(using: &random) ? busy.randomElement(using: &random) ?? randomUpNode() : randomUpNode() else {
            return
        }
        let unsynced = node.unsyncedRecordCount
        let kept = Int.random(in: 0...unsynced, using: &random)
        node.crash(keepingUnsynced: kept)
        stats.crashes += 1
        stats.unsyncedWritesLost += unsynced - kept
        record { "crash \(node.id), keeping \(kept) of \(unsynced) unsynced writes" }
    }

    private func restart() {
        guard let node = nodes.filter({ !$0.isUp }).randomElement(using: &random) else { return }
        node.start()
        checker.nodeRestarted(node.id)
        let (term, commit) = (node.raw!.node.term, node.raw!.node.log.committed)
        record { "restart \(node.id) at term \(term), commit \(commit)" }
    }

    private func partition() {
        let ids = nodes.map(\.id).shuffled(using: &random)
        let cut = Int.random(in: 1..<ids.count, using: &random)
        let groups = [Array(ids[..<cut]).sorted(), Array(ids[cut...]).sorted()]
        network.partition(groups)
        record { "partition \(groups)" }
    }

    private static func describe(_ message: Message) -> String {
        var text = "\(message.type) \(message.from)→\(message.to) term \(message.term)"
        switch message.type {
        case .app:
            text += " after (\(message.index), \(message.logTerm)) +\(message.entries.count) commit \(message.commit)"
        case .appResp:
            text += message.reject ? " reject \(message.index) hint \(message.rejectHint)/\(message.logTerm)" : " ok \(message.index)"
        case .vote, .preVote:
            text += " last (\(message.index), \(message.logTerm))"
        case .voteResp, .preVoteResp:
            text += message.reject ? " rejected" : " granted"
        case .snap:
            text += " at \(message.snapshot?.metadata.index ?? 0)"
        case .heartbeat:
            text += " commit \(message.commit)"
        default:
            break
        }
        return text
    }

    // MARK: Liveness phase

    /// With every fault removed, a leader must emerge and a new proposal must be applied by
    /// every member of the configuration within a bounded number of ticks.
    private func checkLiveness() throws {
        record { "liveness: heal everything and restart every member" }
        network.heal()
        network.dropProbability = 0
        network.duplicateProbability = 0
        for node in nodes where !node.isUp {
            node.start()
            checker.nodeRestarted(node.id)
        }
        let tickLimit = 100 * nodes[0].config.electionTick
        var marker: (id: UInt64, proposedAt: Int)?
        for round in 0..<tickLimit {
            step += 1
            for node in nodes { node.raw!.tick() }
            try settle()
            guard let leader = currentLeader else { continue }
            let members = leader.raw!.status.confState.voters + leader.raw!.status.confState.learners
            if let marker, members.allSatisfy({ (markerApplied[$0] ?? 0) >= marker.id }) {
                return
            }
            if marker == nil || round - marker!.proposedAt > 50 {
                let data = newRequestID(prefix: Self.markerPrefix)
                if (try? leader.raw!.propose(data)) != nil {
                    marker = marker ?? (Self.requestID(data), round)
                    marker!.proposedAt = round
                    record { "liveness: propose marker \(Self.requestID(data)) at leader \(leader.id)" }
                }
            }
        }
        let states = nodes.map { node in
            let status = node.raw!.status
            return "node \(node.id): \(status.role) term \(status.term) leader \(status.leader) commit \(status.commit) applied \(status.applied) conf \(status.confState) marker \(markerApplied[node.id] ?? 0)"
        }
        throw SimulationFailure(description: "liveness: no marker applied by every member within \(tickLimit) ticks\n" + states.joined(separator: "\n"))
    }

    /// Handles all work and delivers all messages, oldest first, until the cluster is quiet.
    private func settle() throws {
        for _ in 0..<10_000 {
            var busy = false
            for node in nodes {
                if node.raw?.hasReady == true && node.pendingReady == nil {
                    try begin(node)
                    busy = true
                }
                if node.pendingReady != nil {
                    try complete(node, syncAlways: true)
                    busy = true
                }
            }
            while let message = network.takeOldest() {
                try deliver(message)
                busy = true
            }
            try checker.check(nodes)
            if !busy { return }
        }
        throw SimulationFailure(description: "liveness: the cluster never went quiet")
    }
}

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
