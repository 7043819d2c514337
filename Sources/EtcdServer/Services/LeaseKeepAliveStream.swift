import EtcdWire
import GRPCTransport
import Lease

/// One `Lease/LeaseKeepAlive` bidi stream: each request renews a lease and gets one response,
/// in request order, carrying the granted TTL. An unknown lease gets TTL 0 (not an error).
///
/// A keep-alive for a lease already past its deadline is answered (TTL 0) only once the lease's
/// revoke has been applied, as in etcd: a client told its lease is gone then also finds its keys
/// gone. Requests behind it wait, to keep the order.
///
/// On a follower each keep-alive is forwarded to the leader, which holds the lease clocks.
///
/// Confined to the call's event loop; the revoke notice hops there.
final class LeaseKeepAliveStream: LeaseRevokeWaiter, @unchecked Sendable {
    private let call: GRPCServerCall
    private let server: EtcdServer
    private var queued: [LeaseID] = []
    private var nextQueued = 0
    /// The header of the answer held until its expired lease is revoked; nothing after it is
    /// answered meanwhile.
    private var heldHeader: ResponseHeader?
    private var clientDone = false
    /// The call ended early (client gone): renew nothing more for it.
    private var cancelled = false

    init(call: GRPCServerCall, server: EtcdServer) {
        self.call = call
        self.server = server
    }

    func start() {
        call.onMessage = { [self] bytes in
            do {
                queued.append(try LeaseKeepAliveRequest(protobuf: bytes[...]).id)
            } catch {
                call.finish(GRPCStatus(EtcdError(code: .internal, message: "grpc: failed to unmarshal the received message \(error)")))
                return
            }
            answerQueued()
        }
        call.onHalfClose = { [self] in
            clientDone = true
            answerQueued()
        }
        call.onCancel = { [self] in
            cancelled = true
            queued.removeAll()
            nextQueued = 0
        }
    }

    private func answerQueued() {
        while heldHeader == nil, nextQueued < queued.count {
            let id = queued[nextQueued]
            nextQueued += 1
            // The header is taken before renewing, as etcd does: an answer never names a
            // revision later than the renewal, so a client cannot see its lease renewed after
            // the revision that revoked it.
            let header = server.header(revision: nil)
            switch server.stateMachine.leases.renew(id, waiter: self) {
            case .renewed(let ttl):
                send(id, ttl: ttl, header: header)
            case .notFound:
                send(id, ttl: 0, header: header)
            case .expired:
                heldHeader = header
            case .notPrimary:
                // Only the leader keeps lease clocks: ask it, and hold the stream's order meanwhile.
                heldHeader = header
                forwardToLeader(id, header: header)
                return
            }
        }
        if nextQueued == queued.count {
            queued.removeAll(keepingCapacity: true)
            nextQueued = 0
            if clientDone, heldHeader == nil { call.finish(.ok) }
        }
    }

    private func forwardToLeader(_ id: LeaseID, header: ResponseHeader) {
        var request = LeaseKeepAliveRequest()
        request.id = id
        server.forwardToLeader(.leaseKeepAlive, request, as: LeaseKeepAliveResponse.self) { [self] result in
            call.eventLoop.execute { [self] in
                guard !cancelled, heldHeader != nil else { return }
                heldHeader = nil
                switch result {
                case .success(let response):
                    send(id, ttl: response.ttl, header: header)
                    answerQueued()
                case .failure(let error):
                    call.finish(GRPCStatus(error))
                }
            }
        }
    }

    /// Called on the apply thread once the held lease is revoked.
    func leaseRevoked(_ id: LeaseID) {
        call.eventLoop.execute { [self] in
            guard !cancelled, let header = heldHeader else { return }
            heldHeader = nil
            send(id, ttl: 0, header: header)
            answerQueued()
        }
    }

    private func send(_ id: LeaseID, ttl: Int64, header: ResponseHeader) {
        var response = LeaseKeepAliveResponse()
        response.header = header
        response.id = id
        response.ttl = ttl
        call.send(response.protobuf())
    }
}
