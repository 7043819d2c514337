import GRPCTransport

/// `etcdserverpb.Watch`: each call is one bidirectional stream carrying any number of watchers.
struct WatchService {
    let server: EtcdServer

    var methods: [String: MethodHandler] {
        [
            "Watch": { call in
                WatchStreamSession(call: call, dispatcher: server.watchDispatcher).start()
            },
        ]
    }
}
