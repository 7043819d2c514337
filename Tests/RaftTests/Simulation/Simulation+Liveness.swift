@testable import Raft

extension Simulation {
    /// With every fault removed, a leader must emerge and a new proposal must be applied by
    /// every member of the configuration within a bounded number of ticks.
    func checkLiveness() throws {
        record { "liveness: heal everything and restart every member" }
        network.heal()
        network.dropProbability = 0
        network.duplicateProbability = 0
        for node in nodes where !node.isUp {
            node.start()
            try checker.restarted(node.raw!.node)
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
    func settle() throws {
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
