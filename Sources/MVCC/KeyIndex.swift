/// The revision history of one key, kept as etcd keeps it: a list of generations.
///
/// A generation is one lifetime of the key: it starts with the put that created the key and ends
/// with the tombstone that deleted it; a tombstone also opens a new, empty generation. So the
/// last generation is the current one (empty while the key is deleted), and every earlier one
/// ends with a tombstone. Example, for put(1.0) put(2.0) tombstone(3.0) put(4.0) tombstone(5.0):
///
///     {1.0, 2.0, 3.0(t)}  {4.0, 5.0(t)}  {}
///
/// Compacting at revision `r` drops every revision at or below `r` except the latest one of a
/// key that is live at `r` (reads at `r` still need it); generations that ended at or below `r`
/// go entirely. Compacting that example at 2 leaves `{2.0, 3.0(t)} {4.0, 5.0(t)} {}`, at 4 leaves
/// `{4.0, 5.0(t)} {}`, and at 5 leaves `{}` — an empty index, whose key the store then forgets.
struct KeyIndex: Equatable {
    struct Generation: Equatable {
        /// Revisions ever put in this generation, tombstone included; compaction does not lower
        /// it, so the version at a remaining revision can still be computed.
        var version: Int64 = 0
        var created = Revision(main: 0)
        var revisions: [Revision] = []
    }

    /// What a read at some revision finds for this key.
    struct Found: Equatable {
        var modified: Revision
        var created: Revision
        var version: Int64
    }

    private(set) var generations = [Generation()]

    /// True when nothing is left: one empty generation.
    var isEmpty: Bool { generations.count == 1 && generations[0].revisions.isEmpty }

    /// True when the key exists at the newest revision.
    var isLive: Bool { !generations[generations.count - 1].revisions.isEmpty }

    private var latestRevision: Revision? {
        generations.last(where: { !$0.revisions.isEmpty })?.revisions.last
    }

    mutating func put(_ revision: Revision) {
        if let latest = latestRevision {
            precondition(latest < revision, "key index revisions must increase")
        }
        let last = generations.count - 1
        if generations[last].revisions.isEmpty { generations[last].created = revision }
        generations[last].revisions.append(revision)
        generations[last].version += 1
    }

    mutating func tombstone(_ revision: Revision) {
        precondition(isLive, "tombstone of a key that is not live")
        put(revision)
        generations.append(Generation())
    }

    /// Takes back the newest change (`put` or `tombstone`), which must be at `revision`.
    /// Used to roll back a write transaction that failed part-way.
    mutating func undo(_ revision: Revision, wasTombstone: Bool) {
        if wasTombstone {
            precondition(!isLive, "undo of a tombstone that is not the newest change")
            generations.removeLast()
        }
        let last = generations.count - 1
        precondition(generations[last].revisions.last == revision, "undo of a change that is not the newest")
        generations[last].revisions.removeLast()
        generations[last].version -= 1
        if generations[last].revisions.isEmpty { generations[last] = Generation() }
    }

    /// The key as of main revision `revision`, or nil if it did not exist then.
    func lookup(at revision: Int64) -> Found? {
        let last = generations.count - 1
        for index in generations.indices.reversed() {
            let generation = generations[index]
            guard let first = generation.revisions.first else { continue }
            // An older generation whose tombstone is at or below `revision` had ended by then.
            if index != last, generation.revisions[generation.revisions.count - 1].main <= revision { return nil }
            if first.main <= revision {
                let position = generation.lastPosition(atOrBelow: revision)
                let newerInGeneration = Int64(generation.revisions.count - 1 - position)
                return Found(
                    modified: generation.revisions[position],
                    created: generation.created,
                    version: generation.version - newerInGeneration
                )
            }
        }
        return nil
    }

    /// Every revision still held whose main revision is in `start...end`, oldest first.
    func revisions(from start: Int64, through end: Int64) -> [Revision] {
        var found: [Revision] = []
        for generation in generations {
            var position = generation.lastPosition(atOrBelow: start - 1) + 1
            while position < generation.revisions.count, generation.revisions[position].main <= end {
                found.append(generation.revisions[position])
                position += 1
            }
        }
        return found
    }

    /// Drops history at or below main revision `revision` as described on the type. Returns the
    /// revision it kept at or below `revision` (the key's value as of `revision`), if any.
    mutating func compact(at revision: Int64) -> Revision? {
        var ended = 0
        while ended < generations.count - 1,
              generations[ended].revisions[generations[ended].revisions.count - 1].main <= revision {
            ended += 1
        }
        generations.removeFirst(ended)
        let position = generations[0].lastPosition(atOrBelow: revision)
        guard position >= 0 else { return nil }
        generations[0].revisions.removeFirst(position)
        // The kept revision is a put: a generation still here ends above `revision`, if at all.
        precondition(generations.count == 1 || generations[0].revisions.count > 1)
        return generations[0].revisions[0]
    }
}

extension KeyIndex.Generation {
    /// Index of the newest revision whose main revision is `<= revision`, or -1.
    func lastPosition(atOrBelow revision: Int64) -> Int {
        var low = 0
        var high = revisions.count
        while low < high {
            let mid = (low + high) / 2
            if revisions[mid].main <= revision { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }
}

extension KeyIndex {
    /// A key index holding `generations` as a snapshot recorded them; the snapshot decoder has
    /// checked that they have the shape described on the type.
    init(restoring generations: [Generation]) {
        self.init()
        self.generations = generations
    }
}
