import NIOConcurrencyHelpers
import NIOCore

/// Carries `send` and `finish` calls made off the event loop (typically answers from the apply
/// thread) over to the connection's event loop, in batches: operations queue here in the order
/// they were made, and only the first one of a batch schedules a task, which runs all that are
/// queued by then. So N answers produced together cost one task, one closure and at most one
/// wake-up of the event loop instead of N.
///
/// Ordering: the operations keep the order in which they were queued (so one thread's calls
/// keep theirs). An operation runs no later than a task its thread schedules on the event loop
/// afterwards, but it may run before a task that thread scheduled earlier.
///
/// Thread-safe: `pending` is guarded by `lock`; `spare` is touched only by `run`, on `eventLoop`.
final class GRPCCallHops: @unchecked Sendable {
    enum Operation {
        case send(GRPCServerCall, [UInt8])
        case finish(GRPCServerCall, GRPCStatus)
        case sendAndFinish(GRPCServerCall, [UInt8], GRPCStatus)
    }

    private let eventLoop: EventLoop
    private let lock = NIOLock()
    private var pending: [Operation] = []
    /// An empty array with capacity, swapped in for `pending` by `run` so a steady flow of
    /// batches does not allocate an array per batch.
    private var spare: [Operation] = []
    /// Larger batches than this give their storage back instead of keeping it for the next one.
    private static let maxRetainedCapacity = 256

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ operation: Operation) {
        let isFirst = lock.withLock { () -> Bool in
            pending.append(operation)
            return pending.count == 1
        }
        if isFirst {
            eventLoop.execute { self.run() }
        }
    }

    private func run() {
        var batch = spare
        spare = []
        lock.withLock { swap(&batch, &pending) }
        for operation in batch {
            switch operation {
            case .send(let call, let message):
                call.sendOnEventLoop(message)
            case .finish(let call, let status):
                call.finishOnEventLoop(status)
            case .sendAndFinish(let call, let message, let status):
                call.sendOnEventLoop(message)
                call.finishOnEventLoop(status)
            }
        }
        if batch.capacity <= Self.maxRetainedCapacity {
            batch.removeAll(keepingCapacity: true)
        } else {
            batch = []
        }
        spare = batch
    }
}
