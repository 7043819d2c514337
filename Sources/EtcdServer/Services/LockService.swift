import EtcdWire
import GRPCTransport

/// `v3lockpb.Lock`, which etcd serves on top of its own KV and Lease API (clientv3's Mutex);
/// `etcdctl lock` does not use it, but other clients do.
struct LockService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        let client = LocalClient(server: server)
        return [
            "Lock": asyncUnary(LockRequest.self, LockResponse.self) { request in
                let lease = try await client.sessionLease(request.lease)
                let (key, header) = try await LockRecipe(client: client).lock(name: request.name, lease: lease)
                var response = LockResponse()
                response.header = header
                response.key = key
                return response
            },
            "Unlock": asyncUnary(UnlockRequest.self, UnlockResponse.self) { request in
                var response = UnlockResponse()
                response.header = try await client.delete(request.key).header
                return response
            },
        ]
    }
}
