@testable import Raft

// The fault phase: one random action per step, faults and operations interleaved.

extension Simulation {
    enum Action: CaseIterable {
        case deliver, tick, beginReady, completeReady, propose, read, confChange, transfer, compact
        case crash, restart, partition, heal

        /// Relative frequency per step.
        var weight: Int {
            switch self {
            case .deliver: return 450
            case .tick: return 160
            case .beginReady: return 40
            case .completeReady: return 60
            case .propose: return 100
            case .read: return 30
            case .compact: return 25
            case .restart: return 25
            case .confChange: return 12
            case .transfer: return 8
            case .crash: return 12
            case .partition: return 10
            case .heal: return 15
            }
        }

        static let totalWeight = allCases.reduce(0) { $0 + $1.weight }
    }

    func isApplicable(_ action: Action) -> Bool {
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
    func randomStep() throws {
        if let id = newLeader {
            newLeader = nil
            if Int.random(in: 0..<3, using: &random) == 0 { return strike(nodes[Int(id) - 1]) }
        }
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
        case .restart: try restart()
        case .partition: partition()
        case .heal:
            record { "heal partitions" }
            network.heal()
        }
    }

    /// Delivers up to three random messages (the rest wait: delay and reordering).
    func deliverRandomMessage() throws {
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            guard let message = network.takeRandom(using: &random) else { return }
            try deliver(message)
            try handleWorkOften(nodes[Int(message.to) - 1])
        }
    }

    /// Time passes for everyone, with a little skew: each member misses a tick now and then.
    func tick() throws {
        record { "tick" }
        for node in upNodes where Int.random(in: 0..<10, using: &random) > 0 {
            node.raw!.tick()
            try handleWorkOften(node)
        }
    }

    func beginReady() throws {
        guard let node = nodes.filter({ $0.raw?.hasReady == true && $0.pendingReady == nil }).randomElement(using: &random) else { return }
        try begin(node)
    }

    func completeReady(syncAlways: Bool) throws {
        guard let node = nodes.filter({ $0.pendingReady != nil }).randomElement(using: &random) else { return }
        try complete(node, syncAlways: syncAlways)
    }

    func propose() {
        guard let node = randomUpNode() else { return }
        let data = newRequestID(prefix: 0x50)
        do {
            try node.raw!.propose(data)
            record { "propose \(Self.requestID(data)) at \(node.id)" }
        } catch {
            record { "propose at \(node.id) refused: \(error)" }
        }
    }

    func read() {
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

    func changeMembership() {
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

    func transferLeadership() {
        guard let leader = currentLeader,
              let target = leader.raw!.status.confState.voters.randomElement(using: &random) else { return }
        do {
            try leader.raw!.transferLeadership(to: target)
            record { "leader \(leader.id) transfers to \(target)" }
        } catch {
            record { "transfer from \(leader.id) to \(target) refused: \(error)" }
        }
    }

    func compact() {
        guard let node = randomUpNode() else { return }
        let retain = UInt64.random(in: 0...4, using: &random)
        if Bool.random(using: &random) {
            node.compact(retain: retain)
            let (snapshotIndex, compactedIndex) = (node.stateMachine.appliedIndex, node.storage.firstIndex - 1)
            record { "node \(node.id) snapshots at \(snapshotIndex), compacts to \(compactedIndex)" }
        } else {
            node.freeMemory(retain: retain)
            let compactedIndex = node.storage.firstIndex - 1
            record { "node \(node.id) compacts to \(compactedIndex) without a snapshot" }
        }
    }

    /// Crashes a member, often one with writes in flight (so that losing them is common) or
    /// the leader.
    func crash() {
        let busy = upNodes.filter { $0.unsyncedRecordCount > 0 || $0.pendingReady != nil }
        let pick: SimulatedNode?
        switch Int.random(in: 0..<3, using: &random) {
        case 0: pick = busy.randomElement(using: &random)
        case 1: pick = currentLeader
        default: pick = nil
        }
        guard let node = pick ?? randomUpNode() else { return }
        let unsynced = node.unsyncedRecordCount
        let kept = Int.random(in: 0...unsynced, using: &random)
        node.crash(keepingUnsynced: kept)
        unsyncedEntries[node.id] = nil
        stats.crashes += 1
        stats.unsyncedWritesLost += unsynced - kept
        record { "crash \(node.id), keeping \(kept) of \(unsynced) unsynced writes" }
    }

    func restart() throws {
        guard let node = nodes.filter({ !$0.isUp }).randomElement(using: &random) else { return }
        node.start()
        try checker.restarted(node.raw!.node)
        let (term, commit) = (node.raw!.node.term, node.raw!.node.log.committed)
        record { "restart \(node.id) at term \(term), commit \(commit)" }
    }

    /// Crashes or isolates a member at once: leaders deposed before they replicate anything
    /// leave the divergent logs that the subtle cases of Raft are about.
    func strike(_ node: SimulatedNode) {
        guard node.isUp, upNodes.count > 1 else { return }
        if Bool.random(using: &random) {
            let unsynced = node.unsyncedRecordCount
            let kept = Int.random(in: 0...unsynced, using: &random)
            node.crash(keepingUnsynced: kept)
            unsyncedEntries[node.id] = nil
            stats.crashes += 1
            stats.unsyncedWritesLost += unsynced - kept
            record { "strike: crash new leader \(node.id), keeping \(kept) of \(unsynced) unsynced writes" }
        } else {
            let others = nodes.map(\.id).filter { $0 != node.id }
            network.partition([[node.id], others])
            record { "strike: isolate new leader \(node.id)" }
        }
    }

    func partition() {
        var ids = nodes.map(\.id).shuffled(using: &random)
        if let leader = currentLeader, Bool.random(using: &random) {
            ids.removeAll { $0 == leader.id }
            ids.insert(leader.id, at: 0)
        }
        let cut = Int.random(in: 1...2, using: &random)
        let groups = [Array(ids[..<cut]).sorted(), Array(ids[cut...]).sorted()]
        network.partition(groups)
        record { "partition \(groups)" }
    }
}
