@testable import Raft

/// One seeded run: a cluster of 3 or 5 members (plus one spare that can join) under random
/// faults, checked for safety after every step, then healed and checked for liveness.
/// Everything random comes from the seed, so a seed replays exactly.
final class Simulation {
    let seed: UInt64
    var random: SplitMix64
    private(set) var nodes: [SimulatedNode] = []
    var network = SimulatedNetwork()
    let checker: SafetyChecker
    var step = 0
    /// The last actions, for the failure report: a ring whose oldest slot is `nextActionSlot`.
    private var recentActions: [(step: Int, describe: () -> String)] = []
    private var nextActionSlot = 0
    private static let recentActionLimit = 80
    private let traceAll: Bool
    private var nextRequestID: UInt64 = 1
    /// A member that just won an election; the adversary may strike it before it replicates.
    var newLeader: UInt64?
    /// Entries of each member's ready that is written but not yet synced.
    var unsyncedEntries: [UInt64: [SafetyChecker.LoggedEntry]] = [:]
    /// The highest liveness marker each member has applied.
    var markerApplied: [UInt64: UInt64] = [:]
    let summary: String
    var stats = SimulationStats()

    static let markerPrefix: UInt8 = 0xEE

    init(seed: UInt64, traceAll: Bool = false) {
        self.seed = seed
        self.traceAll = traceAll
        random = SplitMix64(seed: seed)
        let founders = Bool.random(using: &random) ? 3 : 5
        // Short timeouts keep elections frequent within a few hundred steps.
        var config = RaftConfig(id: 1, electionTick: Int.random(in: 3...6, using: &random))
        config.heartbeatTick = Int.random(in: 1...(config.electionTick / 2), using: &random)
        config.maxInflightMsgs = Int.random(in: 1...8, using: &random)
        config.maxSizePerMsg = [40, 40, 120, 1 << 20].randomElement(using: &random)!
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
    func record(_ describe: @escaping () -> String) {
        if traceAll { print("step \(step): \(describe())") }
        let action = (step: step, describe: describe)
        if recentActions.count < Self.recentActionLimit {
            recentActions.append(action)
        } else {
            recentActions[nextActionSlot] = action
            nextActionSlot = (nextActionSlot + 1) % Self.recentActionLimit
        }
    }

    var upNodes: [SimulatedNode] {
        var up: [SimulatedNode] = []
        for node in nodes where node.isUp { up.append(node) }
        return up
    }

    func randomUpNode() -> SimulatedNode? {
        upNodes.randomElement(using: &random)
    }

    /// The member that believes it leads the highest term, if any.
    var currentLeader: SimulatedNode? {
        upNodes.filter { $0.raw!.node.role.kind == .leader }.max { $0.raw!.node.term < $1.raw!.node.term }
    }

    func newRequestID(prefix: UInt8) -> [UInt8] {
        defer { nextRequestID += 1 }
        return [prefix] + (0..<8).map { UInt8(truncatingIfNeeded: nextRequestID >> (8 * UInt64($0))) }
    }

    static func requestID(_ data: [UInt8]) -> UInt64 {
        (1..<9).reduce(0) { $0 | UInt64(data[$1]) << (8 * UInt64($1 - 1)) }
    }

    static func describe(_ message: Message) -> String {
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
}
