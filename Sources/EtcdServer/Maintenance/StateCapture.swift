/// The applied state as `Maintenance.Snapshot` and `Maintenance.Hash` see it: the store and
/// the leases as snapshot bytes, and the store's revision, all of the same moment.
struct StateCapture {
    var store: [UInt8]
    var leases: [UInt8]
    var revision: Int64

    var hash: UInt32 { StateHash.of(store: store, leases: leases) }
}

extension KVStateMachine {
    /// Takes the capture under the state machine's lock, so no write is applied in between.
    /// Applying waits only while the bytes are encoded in memory (a pass over the store), never
    /// while they are hashed or sent.
    func capture() -> StateCapture {
        withStore { store in
            StateCapture(store: store.snapshotBytes(), leases: leases.snapshotBytes(), revision: store.currentRevision)
        }
    }
}
