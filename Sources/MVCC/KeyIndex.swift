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

    // The current generation is held inline, the ended ones in an array that most keys leave
    // empty (an empty array allocates nothing).

    /// The generations that ended with a tombstone, oldest first.
    private var ended: [Generation] = []
    /// The current generation's version, creation and revisions (empty while deleted).
    private var version: Int64 = 0
    private var created = Revision(main: 0)
    private var revisions = RevisionList()

    /// Every generation, oldest first, the current one last.
    var generations: [Generation] {
        ended + [Generation(version: version, created: created, revisions: Array(revisions))]
    }

    /// True when nothing is left: one empty generation.
    var isEmpty: Bool { ended.isEmpty && revisions.isEmpty }

    /// True when the key exists at the newest revision.
    var isLive: Bool { !revisions.isEmpty }

    private var latestRevision: Revision? { revisions.last ?? ended.last?.revisions.last }

    mutating func put(_ revision: Revision) {
        if let latest = latestRevision {
            precondition(latest < revision, "key index revisions must increase")
        }
        if revisions.isEmpty { created = revision }
        revisions.append(revision)
        version += 1
    }

    mutating func tombstone(_ revision: Revision) {
        precondition(isLive, "tombstone of a key that is not live")
        put(revision)
        ended.append(Generation(version: version, created: created, revisions: Array(revisions)))
        startEmptyGeneration()
    }

    /// Takes back the newest change (`put` or `tombstone`), which must be at `revision`.
    /// Used to roll back a write transaction that failed part-way.
    mutating func undo(_ revision: Revision, wasTombstone: Bool) {
        if wasTombstone {
            precondition(!isLive, "undo of a tombstone that is not the newest change")
            let generation = ended.removeLast()
            if ended.isEmpty { ended = [] }
            version = generation.version
            created = generation.created
            revisions = RevisionList(generation.revisions)
        }
        precondition(revisions.last == revision, "undo of a change that is not the newest")
        revisions.removeLast()
        version -= 1
        if revisions.isEmpty { startEmptyGeneration() }
    }

    private mutating func startEmptyGeneration() {
        version = 0
        created = Revision(main: 0)
        revisions = RevisionList()
    }

    /// The key as of main revision `revision`, or nil if it did not exist then.
    func lookup(at revision: Int64) -> Found? {
        if let first = revisions.first, first.main <= revision {
            return Self.found(at: revision, in: revisions, version: version, created: created)
        }
        for generation in ended.reversed() {
            // A generation whose tombstone is at or below `revision` had ended by then.
            if generation.revisions[generation.revisions.count - 1].main <= revision { return nil }
            if generation.revisions[0].main <= revision {
                return Self.found(at: revision, in: generation.revisions, version: generation.version, created: generation.created)
            }
        }
        return nil
    }

    /// The newest of a generation's `revisions` at or below `revision`, which must be one.
    private static func found<Revisions: RandomAccessCollection>(
        at revision: Int64, in revisions: Revisions, version: Int64, created: Revision
    ) -> Found where Revisions.Element == Revision, Revisions.Index == Int {
        let position = lastPosition(in: revisions, atOrBelow: revision)
        let newerInGeneration = Int64(revisions.count - 1 - position)
        return Found(modified: revisions[position], created: created, version: version - newerInGeneration)
    }

    /// Every revision still held whose main revision is in `start...end`, oldest first.
    func revisions(from start: Int64, through end: Int64) -> [Revision] {
        var found: [Revision] = []
        func collect<Revisions: RandomAccessCollection>(_ revisions: Revisions)
        where Revisions.Element == Revision, Revisions.Index == Int {
            var position = Self.lastPosition(in: revisions, atOrBelow: start - 1) + 1
            while position < revisions.count, revisions[position].main <= end {
                found.append(revisions[position])
                position += 1
            }
        }
        for generation in ended { collect(generation.revisions) }
        collect(revisions)
        return found
    }

    /// Drops history at or below main revision `revision` as described on the type. Returns the
    /// revision it kept at or below `revision` (the key's value as of `revision`), if any.
    mutating func compact(at revision: Int64) -> Revision? {
        var gone = 0
        while gone < ended.count, ended[gone].revisions[ended[gone].revisions.count - 1].main <= revision {
            gone += 1
        }
        ended.removeFirst(gone)
        if ended.isEmpty {
            ended = []
            let position = Self.lastPosition(in: revisions, atOrBelow: revision)
            guard position >= 0 else { return nil }
            revisions.removeFirst(position)
            return revisions[0]
        }
        let position = Self.lastPosition(in: ended[0].revisions, atOrBelow: revision)
        guard position >= 0 else { return nil }
        ended[0].revisions.removeFirst(position)
        // The kept revision is a put: a generation that ended is still here only if it ended above `revision`.
        precondition(ended[0].revisions.count > 1)
        return ended[0].revisions[0]
    }

    /// Index of the newest of `revisions` whose main revision is `<= revision`, or -1.
    private static func lastPosition<Revisions: RandomAccessCollection>(
        in revisions: Revisions, atOrBelow revision: Int64
    ) -> Int where Revisions.Element == Revision, Revisions.Index == Int {
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
        let current = generations[generations.count - 1]
        ended = Array(generations.dropLast())
        version = current.version
        created = current.created
        revisions = RevisionList(current.revisions)
    }
}
