import EtcdWire
import NIOCore
import PeerTransport

extension EtcdServer {
    /// This member's HashKV at `revision` (0: the current one), as etcd's `HashByRev` answers:
    /// the header's revision is the store's current revision, whatever revision was hashed.
    /// Fails with `compacted` or `futureRevision` as etcd does.
    func memberHashKV(at revision: Int64) -> Result<HashKVResponse, EtcdError> {
        let (hashed, current) = stateMachine.withStore { store in
            (Result { () throws(EtcdError) in try store.hashKV(upTo: revision) }, store.currentRevision)
        }
        return hashed.map { hash, compactRevision in
            var response = HashKVResponse()
            response.header = header(revision: current)
            response.hash = hash
            response.compactRevision = compactRevision
            return response
        }
    }

    /// Asks every other member for its HashKV at `revision` over the peer port (etcd asks
    /// their peer URLs). Never fails: each peer's answer or error is in the result.
    func peerHashKVs(at revision: Int64, on eventLoop: EventLoop) -> EventLoopFuture<[PeerHashKV]> {
        var request = HashKVRequest()
        request.revision = revision
        let payload = request.protobuf()
        let asked = stateMachine.members.members.map(\.id).filter { $0 != memberID }.map { member in
            peerLink.transport.request(to: member, kind: PeerRequestKind.hashKV.rawValue, payload: payload,
                                       timeout: configuration.requestTimeout)
                .flatMapThrowing { bytes in
                    PeerHashKV(member: member, answer: .success(HashKVFigures(try HashKVResponse(protobuf: bytes[...]))))
                }
                .recover { error in PeerHashKV(member: member, answer: .failure(Self.peerError(error))) }
        }
        return EventLoopFuture.whenAllSucceed(asked, on: eventLoop)
    }

    private static func peerError(_ error: Error) -> EtcdError {
        switch error {
        case PeerTransportError.remote(let text): return PeerErrorText.decode(text)
        case PeerTransportError.timedOut: return .timeout
        case let error as EtcdError: return error
        default: return EtcdError(code: .unavailable, message: "\(error)")
        }
    }
}

extension HashKVFigures {
    init(_ response: HashKVResponse) {
        self.init(hash: response.hash, revision: response.header?.revision ?? 0, compactRevision: response.compactRevision)
    }
}
