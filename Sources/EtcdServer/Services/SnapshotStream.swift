import Dispatch
import EtcdWire
import GRPCTransport
import NIOCore

/// One `Maintenance/Snapshot` call. The applied state is captured at once, off the event loop,
/// as a backup file body (`BackupFile`); then it is streamed as etcd streams its database:
/// 32 KiB blobs, each response saying how many bytes are still to come (`remaining_bytes`),
/// then one last response whose blob is the SHA-256 of everything sent. No header, as etcd
/// 3.4. Since the capture is in memory, a slow client holds back no write.
///
/// Confined to the call's event loop, except `start`'s capture; that is why it may be
/// `@unchecked Sendable`.
final class SnapshotStream: @unchecked Sendable {
    /// etcd's chunk size.
    static let chunkBytes = 32 * 1024
    /// Chunks are queued only while fewer bytes than this wait in the HTTP/2 stream; past that
    /// the client's flow-control window sets the pace.
    static let outboundHighWaterBytes = 256 * 1024
    /// The longest wait between checks of a stream whose client has stopped reading.
    static let maxDrainWait = TimeAmount.milliseconds(100)

    private let call: GRPCServerCall
    private let server: EtcdServer
    private var received = false
    private var cancelled = false
    private var body: [UInt8] = []
    private var digest: [UInt8] = []
    private var sent = 0
    private var drainCheck: Scheduled<Void>?
    private var drainWaits = 0

    init(call: GRPCServerCall, server: EtcdServer) {
        self.call = call
        self.server = server
    }

    func start() {
        call.onMessage = { [self] bytes in
            guard !received else { return }
            received = true
            do {
                _ = try SnapshotRequest(protobuf: bytes[...])
            } catch {
                call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: error unmarshalling request: \(error)")))
                return
            }
            capture()
        }
        call.onHalfClose = { [self] in
            guard !received else { return }
            received = true
            call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: client streaming protocol violation: get <nil>, want <EOF>")))
        }
        call.onCancel = { [self] in
            cancelled = true
            body = []
            drainCheck?.cancel()
            drainCheck = nil
        }
    }

    /// Encoding and hashing are passes over the whole store: done on another thread, so the
    /// event loop keeps serving its other calls meanwhile.
    private func capture() {
        let (stateMachine, eventLoop) = (server.stateMachine, call.eventLoop)
        DispatchQueue.global().async { [self] in
            let state = stateMachine.capture()
            let body = BackupFile.body(store: state.store, leases: state.leases)
            let digest = SHA256.digest(body)
            eventLoop.execute { [self] in
                guard !cancelled else { return }
                self.body = body
                self.digest = digest
                server.logger.info("sending database snapshot to client", metadata: [
                    "total-bytes": "\(body.count)", "revision": "\(state.revision)",
                ])
                send()
            }
        }
    }

    /// Sends chunks until the body is out or the stream's queue is full, then the checksum.
    private func send() {
        guard !cancelled else { return }
        while sent < body.count {
            guard call.bufferedOutboundBytes < Self.outboundHighWaterBytes else {
                waitForDrain()
                return
            }
            drainWaits = 0
            let end = min(sent + Self.chunkBytes, body.count)
            var response = SnapshotResponse()
            response.blob = Array(body[sent..<end])
            response.remainingBytes = UInt64(body.count - end)
            sent = end
            call.send(response.protobuf())
        }
        var checksum = SnapshotResponse()
        checksum.blob = digest
        call.send(checksum.protobuf())
        call.finish(.ok)
        server.logger.info("sent database snapshot to client", metadata: ["total-bytes": "\(body.count)"])
        body = []
    }

    /// The transport tells no one when a stream's queue shrinks, so look again: on the next
    /// turn of the event loop, then after waits that double up to `maxDrainWait`.
    private func waitForDrain() {
        guard drainCheck == nil else { return }
        let wait = drainWaits == 0 ? .zero : min(.milliseconds(1 << min(drainWaits - 1, 7)), Self.maxDrainWait)
        drainWaits += 1
        drainCheck = call.eventLoop.scheduleTask(in: wait) { [self] in
            drainCheck = nil
            send()
        }
    }
}
