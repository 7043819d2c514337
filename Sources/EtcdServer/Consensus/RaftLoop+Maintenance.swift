extension RaftLoop {
    /// Saves a snapshot of the applied state now (`Maintenance.Defragment`), on the loop's
    /// thread like every snapshot, which then lets go of the WAL segments and older snapshots
    /// it covers as `--max-wals` and `--max-snapshots` allow. Nothing to do when the newest
    /// snapshot is already at the applied index.
    func saveSnapshotNow(done: @escaping Done) {
        loop.submit {
            let status = self.node.status
            guard status.applied > self.snapshotIndex else { return }
            self.saveSnapshot(at: status.applied, confState: status.confState)
        }.whenComplete { result in
            done(result.mapError { _ in .stopped })
        }
    }
}
