@testable import Raft

/// A synchronous in-memory cluster for table tests: messages are delivered at once, in the
/// order sent, until nothing is left, except those a test chose to drop.
final class TestNetwork {
    private(set) var nodes: [UInt64: TestNode] = [:]
    /// Links (from, to) that lose every message.
    private var cutLinks: Set<[UInt64]> = []
    private var droppedTypes: Set<MessageType> = []
    /// Every message delivered or dropped, for assertions about traffic.
    private(set) var trace: [Message] = []

    /// Seeds each member's election jitter (together with its id).
    private let seed: UInt64

    /// A new cluster whose founding members are `voters` and `learners`.
    init(voters: [UInt64], learners: [UInt64] = [], seed: UInt64 = 0,
         configure: (inout RaftConfig) -> Void = { _ in }) {
        self.seed = seed
        let confState = ConfState(voters: voters, learners: learners)
        for id in voters + learners {
            let storage = MemoryStorage()
            try! storage.applySnapshot(.bootstrap(confState))
            add(id: id, storage: storage, configure: configure)
        }
    }

    /// Adds a member with the given storage (empty for a member that is joining).
    func add(id: UInt64, storage: MemoryStorage = MemoryStorage(),
             configure: (inout RaftConfig) -> Void = { _ in }) {
        var config = RaftConfig(id: id, electionTick: 10, heartbeatTick: 1, maxInflightMsgs: 256)
        configure(&config)
        nodes[id] = TestNode(id: id, storage: storage, config: config, seed: seed &* 1_000 &+ id)
    }

    subscript(id: UInt64) -> TestNode { nodes[id]! }

    var leaders: [UInt64] {
        nodes.values.filter { $0.role == .leader }.map(\.id).sorted()
    }

    func cut(_ a: UInt64, _ b: UInt64) {
        cutLinks.insert([a, b])
        cutLinks.insert([b, a])
    }

    func isolate(_ id: UInt64) {
        for other in nodes.keys where other != id { cut(id, other) }
    }

    func drop(_ type: MessageType) {
        droppedTypes.insert(type)
    }

    func heal() {
        cutLinks = []
        droppedTypes = []
    }

    func clearTrace() {
        trace = []
    }

    /// Handles every node's pending work and delivers messages until the cluster is quiet.
    func stabilize() {
        var pending = nodes.keys.sorted().flatMap { nodes[$0]!.handleReady() }
        while !pending.isEmpty {
            let batch = pending
            pending = []
            for message in batch {
                trace.append(message)
                guard let target = nodes[message.to], !isDropped(message) else { continue }
                try? target.raw.step(message)
                pending += target.handleReady()
            }
            pending += nodes.keys.sorted().flatMap { nodes[$0]!.handleReady() }
        }
    }

    private func isDropped(_ message: Message) -> Bool {
        cutLinks.contains([message.from, message.to]) || droppedTypes.contains(message.type)
    }

    func campaign(_ id: UInt64) {
        self[id].raw.campaign()
        stabilize()
    }

    func propose(_ id: UInt64, _ text: String) throws(RaftError) {
        try self[id].raw.propose(Array(text.utf8))
        stabilize()
    }

    /// Ticks `id` `count` times, stabilizing after each tick.
    func tick(_ id: UInt64, _ count: Int = 1) {
        for _ in 0..<count {
            self[id].raw.tick()
            stabilize()
        }
    }

    /// Ticks every node `count` times, stabilizing after each round.
    func tickAll(_ count: Int = 1) {
        for _ in 0..<count {
            for id in nodes.keys.sorted() { self[id].raw.tick() }
            stabilize()
        }
    }
}

extension Array where Element == [UInt8] {
    var strings: [String] { map { String(decoding: $0, as: UTF8.self) } }
}
