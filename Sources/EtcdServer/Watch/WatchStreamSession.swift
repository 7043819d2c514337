import EtcdWire
import GRPCTransport
import NIOCore
import Watch

/// One `Watch/Watch` call: reads the client's requests, and writes the responses the hub
/// queues for the stream while the client keeps up with them.
///
/// Confined to the call's event loop, except `eventLoop`, which is immutable; that is why it
/// may be `@unchecked Sendable`.
final class WatchStreamSession: @unchecked Sendable {
    /// Responses are taken from the hub only while fewer bytes than this wait in the HTTP/2
    /// stream: the client's flow-control window decides how fast the rest comes, and what
    /// does not fit stays in the hub's bounded queue or, past that, in the store's history.
    static let outboundHighWaterBytes = 256 * 1024
    /// The longest wait between checks of a stream whose client has stopped reading.
    static let maxDrainWait = TimeAmount.milliseconds(100)

    let call: GRPCServerCall
    var eventLoop: EventLoop { call.eventLoop }
    private let dispatcher: WatchDispatcher
    private var streamID: WatchStreamID = -1
    private var isOpen = true
    private var drainCheck: Scheduled<Void>?
    private var drainWaits = 0
    private var progressTimer: RepeatedTask?

    init(call: GRPCServerCall, dispatcher: WatchDispatcher) {
        self.call = call
        self.dispatcher = dispatcher
    }

    func start() {
        streamID = dispatcher.open(self)
        call.onMessage = { [self] bytes in receive(bytes) }
        // A client that half-closes still gets events until it cancels, as from etcd.
        call.onCancel = { [self] in close() }
    }

    private func receive(_ bytes: [UInt8]) {
        let request: WatchRequest
        do {
            request = try WatchRequest(protobuf: bytes[...])
        } catch {
            call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: failed to unmarshal the received message \(error)")))
            close()
            return
        }
        switch request.requestUnion {
        case .create(let create)?:
            if create.progressNotify { startProgressTimer() }
            dispatcher.create(create, on: streamID)
        case .cancel(let cancel)?:
            dispatcher.cancel(watchID: cancel.watchID, on: streamID)
        case .progress?:
            dispatcher.requestProgress(on: streamID)
        case nil:
            break  // an empty or unknown request is ignored and the stream stays open, as in etcd
        }
    }

    /// Sends what the hub has queued, catching lagging watchers up from history on the way,
    /// until the stream is flushed or the client's window is full.
    func flush() {
        guard isOpen else { return }
        while true {
            let waiting = call.bufferedOutboundBytes
            guard waiting < Self.outboundHighWaterBytes else {
                waitForDrain()
                return
            }
            drainWaits = 0
            let (outputs, backlog) = dispatcher.takeOutput(from: streamID, maxBytes: Self.outboundHighWaterBytes - waiting)
            dispatcher.encoder.encode(outputs) { call.send($0) }
            switch backlog {
            case .none: return
            case .output: continue
            case .catchUp: dispatcher.catchUp(on: streamID)
            }
        }
    }

    /// The transport tells no one when a stream's queue shrinks, so look again: first on the
    /// next turn of the event loop (after the connection has written what it could), then
    /// after waits that double up to `maxDrainWait` while the client reads nothing.
    private func waitForDrain() {
        guard drainCheck == nil else { return }
        let wait = drainWaits == 0 ? .zero : min(.milliseconds(1 << min(drainWaits - 1, 7)), Self.maxDrainWait)
        drainWaits += 1
        drainCheck = eventLoop.scheduleTask(in: wait) { [self] in
            drainCheck = nil
            flush()
        }
    }

    /// etcd ticks each stream at the interval plus up to a tenth of it, chosen once, so that
    /// streams opened together do not all notify at once.
    private func startProgressTimer() {
        guard progressTimer == nil else { return }
        let interval = dispatcher.progressNotifyInterval
        let jitter = TimeAmount.nanoseconds(Int64.random(in: 0...max(0, interval.nanoseconds / 10)))
        progressTimer = eventLoop.scheduleRepeatedTask(initialDelay: interval + jitter, delay: interval + jitter) { [self] _ in
            dispatcher.progressTick(on: streamID)
        }
    }

    private func close() {
        guard isOpen else { return }
        isOpen = false
        drainCheck?.cancel()
        drainCheck = nil
        progressTimer?.cancel()
        progressTimer = nil
        dispatcher.close(streamID)
    }
}
