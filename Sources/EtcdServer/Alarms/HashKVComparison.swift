import EtcdWire
import Logging

/// One member's HashKV: the hash, the store's revision when it was taken, and its compaction.
struct HashKVFigures: Hashable, Sendable {
    var hash: UInt32
    var revision: Int64
    var compactRevision: Int64
}

/// What a peer answered when asked for its HashKV at a revision.
struct PeerHashKV: Sendable {
    var member: UInt64
    var answer: Result<HashKVFigures, EtcdError>
}

/// The comparisons of etcd's corruption checks (`etcdserver/corrupt.go`), without the I/O:
/// what to log, and whether the members disagree.
struct HashKVComparison {
    struct Finding {
        var message: String
        var metadata: Logger.Metadata
    }

    var findings: [Finding] = []
    /// The members whose answers show an inconsistency (etcd raises one alarm for all of them).
    var mismatched: [UInt64] = []

    /// etcd's `CheckInitialHashKV`: a peer's hash at this member's revision must equal this
    /// member's unless their compactions differ. A peer that is behind (future revision) or has
    /// compacted past this member's revision cannot be compared and is only reported.
    static func initial(local: HashKVFigures, peers: [PeerHashKV]) -> HashKVComparison {
        var comparison = HashKVComparison()
        for peer in peers {
            var metadata: Logger.Metadata = [
                "local-member-revision": "\(local.revision)", "local-member-compact-revision": "\(local.compactRevision)",
                "local-member-hash": "\(local.hash)", "remote-peer-id": "\(String(peer.member, radix: 16))",
            ]
            switch peer.answer {
            case .success(let remote):
                guard remote.hash != local.hash else { continue }
                metadata["remote-peer-revision"] = "\(remote.revision)"
                metadata["remote-peer-compact-revision"] = "\(remote.compactRevision)"
                metadata["remote-peer-hash"] = "\(remote.hash)"
                if remote.compactRevision == local.compactRevision {
                    comparison.report("found different hash values from remote peer", metadata, mismatch: peer.member)
                } else {
                    comparison.report("found different compact revision values from remote peer", metadata)
                }
            case .failure(let error):
                metadata["error"] = "\(error.message)"
                switch error {
                case .futureRevision: comparison.report("cannot fetch hash from slow remote peer", metadata)
                case .compacted: comparison.report("cannot fetch hash from remote peer; local member is behind", metadata)
                default: comparison.report("failed hash kv request", metadata)
                }
            }
        }
        return comparison
    }

    /// etcd's leader-side `checkHashKV`: the leader hashed its store (`before`), asked the
    /// peers for their hash at that revision, then hashed again after a linearizable read
    /// (`after`). Its own two hashes must agree if nothing was written or compacted between
    /// them; a follower may not be ahead of the leader in revision or compaction; and a
    /// follower with the leader's compaction must have the leader's hash.
    static func periodic(before: HashKVFigures, after: HashKVFigures, peers: [PeerHashKV], localMember: UInt64) -> HashKVComparison {
        var comparison = HashKVComparison()
        if after.hash != before.hash, after.revision == before.revision, after.compactRevision == before.compactRevision {
            comparison.report("found hash mismatch", [
                "revision-1": "\(before.revision)", "compact-revision-1": "\(before.compactRevision)", "hash-1": "\(before.hash)",
                "revision-2": "\(after.revision)", "compact-revision-2": "\(after.compactRevision)", "hash-2": "\(after.hash)",
            ], mismatch: localMember)
        }
        for peer in peers {
            let id = "\(String(peer.member, radix: 16))"
            guard case .success(let remote) = peer.answer else {
                if case .failure(let error) = peer.answer {
                    comparison.report("failed hash kv request", ["remote-peer-id": "\(id)", "error": "\(error.message)"])
                }
                continue
            }
            if remote.revision > after.revision {
                comparison.report("revision from follower must be less than or equal to leader's", [
                    "leader-revision": "\(after.revision)", "follower-revision": "\(remote.revision)", "follower-peer-id": "\(id)",
                ], mismatch: peer.member)
            }
            if remote.compactRevision > after.compactRevision {
                comparison.report("compact revision from follower must be less than or equal to leader's", [
                    "leader-compact-revision": "\(after.compactRevision)", "follower-compact-revision": "\(remote.compactRevision)",
                    "follower-peer-id": "\(id)",
                ], mismatch: peer.member)
            }
            if remote.compactRevision == before.compactRevision, remote.hash != before.hash {
                comparison.report("same compact revision then hashes must match", [
                    "leader-compact-revision": "\(after.compactRevision)", "leader-hash": "\(before.hash)",
                    "follower-compact-revision": "\(remote.compactRevision)", "follower-hash": "\(remote.hash)",
                    "follower-peer-id": "\(id)",
                ], mismatch: peer.member)
            }
        }
        return comparison
    }

    /// The peers that answered.
    static func answered(_ peers: [PeerHashKV]) -> Int {
        peers.filter { if case .success = $0.answer { return true } else { return false } }.count
    }

    private mutating func report(_ message: String, _ metadata: Logger.Metadata, mismatch member: UInt64? = nil) {
        findings.append(Finding(message: message, metadata: metadata))
        if let member { mismatched.append(member) }
    }
}
