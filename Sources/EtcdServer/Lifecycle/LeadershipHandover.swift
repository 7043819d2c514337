import Dispatch
import EtcdWire
import NIOCore

extension EtcdServer {
    /// What etcd's `Stop` does before stopping: a leader hands leadership to a voter, so the
    /// cluster has a new leader at once rather than after an election timeout of silence.
    /// The transferee is the connected voter with the most of the log, which can take over
    /// soonest. Returns when the transfer is done, failed, or `limit` has passed.
    func handOverLeadership(within limit: TimeAmount) {
        let leader = String(leaderID, radix: 16)
        guard isLeader else {
            logger.info("skipped leadership transfer; local server is not leader", metadata: ["current-leader-member-id": "\(leader)"])
            return
        }
        guard let (transferee, voters) = try? raftLoop.loop.submit({ self.likeliestSuccessor() }).wait() else { return }
        guard voters > 1 else {
            logger.info("skipped leadership transfer for single voting member cluster")
            return
        }
        guard let transferee else {
            logger.warning("leadership transfer failed", metadata: ["error": "\(EtcdError.unhealthyCluster.message)"])
            return
        }
        let target = String(transferee, radix: 16)
        logger.info("leadership transfer starting", metadata: ["transferee-member-id": "\(target)"])
        let started = Stopwatch()
        let finished = DispatchSemaphore(value: 0)
        raftLoop.transferLeadership(to: transferee) { [logger] result in
            switch result {
            case .success:
                logger.info("leadership transfer finished", metadata: [
                    "new-leader-member-id": "\(target)", "took": "\(Int(started.seconds * 1000))ms",
                ])
            case .failure(let error):
                logger.warning("leadership transfer failed", metadata: ["transferee-member-id": "\(target)", "error": "\(error.message)"])
            }
            finished.signal()
        }
        if finished.wait(timeout: .now() + .nanoseconds(Int(limit.nanoseconds))) == .timedOut {
            logger.warning("leadership transfer failed", metadata: [
                "transferee-member-id": "\(target)", "error": "not done within \(limit.nanoseconds / 1_000_000)ms",
            ])
        }
    }

    /// On the consensus loop: the connected voter (other than this member) furthest along in
    /// the log, and how many voters there are.
    private func likeliestSuccessor() -> (transferee: UInt64?, voters: Int) {
        let status = raftLoop.node.status
        let match = { (member: UInt64) in status.progress?[member]?.match ?? 0 }
        let candidates = status.confState.voters.filter { $0 != memberID && isConnected(to: $0) }
        return (candidates.max { match($0) < match($1) }, status.confState.voters.count)
    }
}
