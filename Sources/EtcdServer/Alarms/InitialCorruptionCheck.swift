import EtcdWire
import Logging
import NIOCore

/// The member's data differs from its peers' at the same revision.
struct DataInconsistency: Error, CustomStringConvertible {
    let description: String
}

extension EtcdServer {
    /// etcd's `--experimental-initial-corrupt-check`: before serving, a member restarted on
    /// existing data compares its HashKV with every peer's at its own revision, and refuses to
    /// start if one differs at the same compaction. Peers that cannot answer are only logged.
    func checkInitialHashKV(on eventLoop: EventLoop) throws {
        let id = String(memberID, radix: 16)
        logger.info("starting initial corruption check", metadata: [
            "local-member-id": "\(id)", "timeout": "\(configuration.requestTimeout.nanoseconds / 1_000_000)ms",
        ])
        let local = HashKVFigures(try memberHashKV(at: 0).get())
        let peers = try peerHashKVs(at: local.revision, on: eventLoop).wait()
        let comparison = HashKVComparison.initial(local: local, peers: peers)
        for finding in comparison.findings {
            logger.warning("\(finding.message)", metadata: finding.metadata.merging(["local-member-id": "\(id)"]) { current, _ in current })
        }
        guard comparison.mismatched.isEmpty else { throw DataInconsistency(description: "\(id) found data inconsistency with peers") }
        logger.info("initial corruption checking passed; no corruption", metadata: ["local-member-id": "\(id)"])
    }
}
