import CGlibcMalloc
import NIOConcurrencyHelpers
import NIOCore

/// Gives heap memory that departed clients freed back to the system.
///
/// glibc keeps freed memory in its arenas for reuse, so a burst of connections (their buffers,
/// streams and calls) would leave the resident size at its high-water mark for good; Go's
/// runtime hands such memory back in the background, and so etcd's falls again. A trim
/// (`malloc_trim`) releases the whole free pages of every arena and takes about a millisecond.
/// It runs on an event loop `delay` after a client connection closed, so that connections
/// closing together share one trim (and once at start-up, after the log was replayed).
final class HeapTrimmer: Sendable {
    private let loop: EventLoop
    private let delay: TimeAmount
    private let trim: @Sendable () -> Void
    private let isScheduled = NIOLockedValueBox(false)

    init(loop: EventLoop, delay: TimeAmount = .milliseconds(200), trim: @escaping @Sendable () -> Void = HeapTrimmer.releaseFreePages) {
        self.loop = loop
        self.delay = delay
        self.trim = trim
    }

    /// Releases the free pages of every arena now.
    @Sendable static func releaseFreePages() {
        _ = malloc_trim(0)
    }

    func connectionClosed() {
        let schedule = isScheduled.withLockedValue { isScheduled in
            defer { isScheduled = true }
            return !isScheduled
        }
        guard schedule else { return }
        loop.scheduleTask(in: delay) {
            self.isScheduled.withLockedValue { $0 = false }
            self.trim()
        }
    }
}
