@testable import Raft

/// One member for table tests: a `RawNode` over a `MemoryStorage`, handled the way a server
/// does (persist, then send, then apply, then advance) in a single synchronous step.
final class TestNode {
    let id: UInt64
    let storage: MemoryStorage
    let raw: RawNode
    let config: RaftConfig
    /// Data of every applied normal entry, in order.
    private(set) var applied: [[UInt8]] = []
    private(set) var readStates: [ReadState] = []

    init(id: UInt64, storage: MemoryStorage, config: RaftConfig, seed: UInt64) {
        self.id = id
        self.storage = storage
        self.config = config
        raw = RawNode(config: config, storage: storage, random: SplitMix64(seed: seed))
    }

    /// The core, for assertions about internal state.
    var node: RaftNode { raw.node }
    var role: RoleKind { node.role.kind }
    var term: UInt64 { node.term }
    var log: RaftLog { node.log }

    /// Handles every pending `Ready` and returns the messages to send.
    func handleReady() -> [Message] {
        var outgoing: [Message] = []
        while raw.hasReady {
            let ready = raw.ready()
            if let snapshot = ready.snapshot {
                try! storage.applySnapshot(snapshot)
            }
            storage.append(ready.entries)
            if let hardState = ready.hardState {
                storage.setHardState(hardState)
            }
            outgoing += ready.messages
            readStates += ready.readStates
            for entry in ready.committedEntries {
                switch entry.type {
                case .normal where !entry.data.isEmpty:
                    applied.append(entry.data)
                case .normal:
                    break
                case .confChange:
                    raw.applyConfChange(try! ConfChange(decoding: entry.data))
                }
            }
            raw.advance(ready)
        }
        return outgoing
    }
}
