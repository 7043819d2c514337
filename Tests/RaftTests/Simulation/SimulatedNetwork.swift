@testable import Raft

/// Messages in flight between members. Delivery order is chosen at random by the simulation,
/// which delays and reorders; sending may drop or duplicate; partitions cut links.
struct SimulatedNetwork {
    private(set) var inFlight: [Message] = []
    /// The partition each member is in; members in different partitions cannot talk.
    private var partitionOf: [UInt64: Int] = [:]
    var dropProbability = 0.0
    var duplicateProbability = 0.0

    var isPartitioned: Bool { Set(partitionOf.values).count > 1 }

    /// Queues `message`, unless the network loses it; returns whether it was queued.
    mutating func send(_ message: Message, using random: inout SplitMix64) -> Bool {
        if Double.random(in: 0..<1, using: &random) < dropProbability { return false }
        inFlight.append(message)
        if Double.random(in: 0..<1, using: &random) < duplicateProbability {
            inFlight.append(message)
        }
        return true
    }

    /// Removes and returns a random message in flight.
    mutating func takeRandom(using random: inout SplitMix64) -> Message? {
        guard !inFlight.isEmpty else { return nil }
        let index = Int.random(in: 0..<inFlight.count, using: &random)
        inFlight.swapAt(index, inFlight.count - 1)
        return inFlight.removeLast()
    }

    /// Removes and returns the oldest message in flight.
    mutating func takeOldest() -> Message? {
        inFlight.isEmpty ? nil : inFlight.removeFirst()
    }

    func canReach(from: UInt64, to: UInt64) -> Bool {
        partitionOf[from, default: 0] == partitionOf[to, default: 0]
    }

    mutating func partition(_ groups: [[UInt64]]) {
        partitionOf = [:]
        for (group, members) in groups.enumerated() {
            for member in members { partitionOf[member] = group }
        }
    }

    mutating func heal() {
        partitionOf = [:]
    }
}
