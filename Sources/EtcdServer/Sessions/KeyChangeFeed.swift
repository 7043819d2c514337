import EtcdWire
import MVCC
import NIOConcurrencyHelpers

/// Changes to keys as the store applies them, for waiters inside the server (the Lock and
/// Election services wait for deletes and follow a leader key): what a watch gives a client,
/// without a gRPC stream.
///
/// After every applied batch each subscription reads what changed in its keys since it last
/// looked, from the store's history. So it misses nothing between subscribing and the next
/// write, may start in the past, and sees a revision's events together. Subscriptions are few
/// (one per waiting lock, campaign or observer), so looking at each after a batch costs little.
final class KeyChangeFeed: @unchecked Sendable {
    private struct Subscription {
        let keys: KeyRange
        /// The oldest revision not yet delivered.
        var nextRevision: Int64
        let continuation: AsyncThrowingStream<[Event], Error>.Continuation
    }

    // `subscriptions` and `nextID` are guarded by `lock`. Lock order: this lock, then the
    // state machine's (history reads), never the other way.
    private let lock = NIOLock()
    private var subscriptions: [Int: Subscription] = [:]
    private var nextID = 0
    private let stateMachine: KVStateMachine

    init(stateMachine: KVStateMachine) {
        self.stateMachine = stateMachine
    }

    /// The changes to `keys` from `revision` on, a non-empty batch of events per delivery, in
    /// revision order. Ends with `.compacted` if that history is gone; ends when the consuming
    /// task is cancelled.
    func changes(in keys: KeyRange, from revision: Int64) -> AsyncThrowingStream<[Event], Error> {
        let (stream, continuation) = AsyncThrowingStream<[Event], Error>.makeStream()
        let id = lock.withLock { () -> Int in
            defer { nextID += 1 }
            subscriptions[nextID] = Subscription(keys: keys, nextRevision: revision, continuation: continuation)
            return nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.lock.withLock { _ = self?.subscriptions.removeValue(forKey: id) }
        }
        deliver(to: [id])
        return stream
    }

    /// The store moved on (called after every applied batch): every subscription reads what it
    /// has not seen yet.
    func storeAdvanced() {
        let ids = lock.withLock { Array(subscriptions.keys) }
        if !ids.isEmpty { deliver(to: ids) }
    }

    private func deliver(to ids: [Int]) {
        var failed: [(AsyncThrowingStream<[Event], Error>.Continuation, Error)] = []
        // Reading and yielding under the lock keeps two threads from delivering one
        // subscription's changes out of order.
        lock.withLock {
            for id in ids {
                guard var subscription = subscriptions[id] else { continue }
                do {
                    let page = try stateMachine.withStore { store in
                        try store.events(in: subscription.keys, from: subscription.nextRevision,
                                         through: store.currentRevision, withPrevKV: false)
                    }
                    subscription.nextRevision = max(subscription.nextRevision, page.nextRevision)
                    subscriptions[id] = subscription
                    if !page.events.isEmpty { subscription.continuation.yield(page.events) }
                } catch {
                    subscriptions[id] = nil
                    failed.append((subscription.continuation, error))
                }
            }
        }
        // Finishing runs `onTermination`, which takes the lock.
        for (continuation, error) in failed { continuation.finish(throwing: error) }
    }
}
