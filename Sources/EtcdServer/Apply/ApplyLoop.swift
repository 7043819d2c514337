import EtcdWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Orders proposals and applies them, one batch per turn, on a thread of its own.
///
/// Event-loop threads hand commands in with `propose`; every command that arrives while a
/// batch is being applied goes into the next batch, so the (future) log write and fsync are
/// shared by all of them. Completions run on the apply thread after the batch; they must
/// only hand their result to another thread (the gRPC call hops to its event loop itself).
final class ApplyLoop: @unchecked Sendable {
    typealias Completion = @Sendable (Result<CommandResult, EtcdError>) -> Void

    private let stateMachine: KVStateMachine
    private let changeFeed: KeyChangeFeed
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let queue = NIOLockedValueBox(Queue())

    private struct Queue {
        var pending: [(Command, Completion)] = []
        var drainScheduled = false
        var stopped = false
    }

    init(stateMachine: KVStateMachine, changeFeed: KeyChangeFeed) {
        self.stateMachine = stateMachine
        self.changeFeed = changeFeed
    }

    /// Queues a command; the completion is called exactly once.
    func propose(_ command: Command, completion: @escaping Completion) {
        let scheduleDrain: Bool? = queue.withLockedValue { queue in
            if queue.stopped { return nil }
            queue.pending.append((command, completion))
            defer { queue.drainScheduled = true }
            return !queue.drainScheduled
        }
        switch scheduleDrain {
        case nil: completion(.failure(.stopped))
        case true?: group.next().execute { self.drain() }
        case false?: break
        }
    }

    var pendingCount: Int { queue.withLockedValue { $0.pending.count } }

    private func drain() {
        let batch = queue.withLockedValue { queue -> [(Command, Completion)] in
            defer { queue.pending = []; queue.drainScheduled = false }
            return queue.pending
        }
        let results = stateMachine.apply(batch.map(\.0))
        // Applying reads no clock, so leases granted in the batch start their clocks here.
        stateMachine.leases.startClocks()
        for ((_, completion), result) in zip(batch, results) { completion(result) }
        // After the answers, so that waiting locks and elections do not delay them.
        changeFeed.storeAdvanced()
    }

    /// Fails everything still queued and stops the thread.
    func shutdown() {
        let leftovers = queue.withLockedValue { queue -> [(Command, Completion)] in
            queue.stopped = true
            defer { queue.pending = [] }
            return queue.pending
        }
        for (_, completion) in leftovers { completion(.failure(.stopped)) }
        try? group.syncShutdownGracefully()
    }
}
