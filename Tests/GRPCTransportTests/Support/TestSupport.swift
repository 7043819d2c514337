import GRPCTransport
import NIOConcurrencyHelpers
import NIOCore
import XCTest

/// Test double for the service layer. The closure runs on the call's event loop, which is the
/// only place it touches the call; that is why it may be `@unchecked Sendable`.
final class ClosureCallHandler: GRPCCallHandler, @unchecked Sendable {
    private let body: (GRPCServerCall) -> Void

    init(_ body: @escaping (GRPCServerCall) -> Void) {
        self.body = body
    }

    func handle(_ call: GRPCServerCall) {
        body(call)
    }

    /// Sends every request message back and finishes OK when the client half-closes.
    static func echo() -> ClosureCallHandler {
        ClosureCallHandler { call in
            call.onMessage = { call.send($0) }
            call.onHalfClose = { call.finish(.ok) }
        }
    }
}

/// Thread-safe list of things that happened, for asserting on callbacks.
final class EventRecorder: Sendable {
    private let events = NIOLockedValueBox<[String]>([])

    func record(_ event: String) {
        events.withLockedValue { $0.append(event) }
    }

    var all: [String] {
        events.withLockedValue { $0 }
    }
}

struct TestTimeout: Error {}

/// Waits for `future`, failing instead of hanging if it doesn't complete within `timeout`.
func waitBounded<T: Sendable>(_ future: EventLoopFuture<T>, timeout: TimeAmount = .seconds(10)) throws -> T {
    let promise = future.eventLoop.makePromise(of: T.self)
    future.cascade(to: promise)
    let timer = future.eventLoop.scheduleTask(in: timeout) { promise.fail(TestTimeout()) }
    defer { timer.cancel() }
    return try promise.futureResult.wait()
}

func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}
