/// The revisions of a key's current generation, oldest first, the last two held inline: most
/// keys have at most two revisions there, and then need no allocation of their own.
struct RevisionList: RandomAccessCollection, Equatable {
    /// Marks an unused inline slot; the store's revisions are never negative.
    private static let absent = Revision(main: -1)

    /// All but the last two; empty unless both inline slots are used.
    private var spilled: [Revision] = []
    /// Filled first: a single revision is held here.
    private var olderInline = absent
    private var newerInline = absent

    init() {}

    init<S: Sequence>(_ revisions: S) where S.Element == Revision {
        for revision in revisions { append(revision) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { spilled.count + (olderInline == Self.absent ? 0 : 1) + (newerInline == Self.absent ? 0 : 1) }

    subscript(position: Int) -> Revision {
        precondition(position >= 0 && position < endIndex, "revision position out of range")
        if position < spilled.count { return spilled[position] }
        return position == spilled.count ? olderInline : newerInline
    }

    mutating func append(_ revision: Revision) {
        precondition(revision.main >= 0, "negative revision")
        if olderInline == Self.absent {
            olderInline = revision
        } else if newerInline == Self.absent {
            newerInline = revision
        } else {
            spilled.append(olderInline)
            olderInline = newerInline
            newerInline = revision
        }
    }

    @discardableResult
    mutating func removeLast() -> Revision {
        precondition(!isEmpty, "removeLast of an empty revision list")
        if newerInline == Self.absent {
            defer { olderInline = Self.absent }
            return olderInline
        }
        let removed = newerInline
        if spilled.isEmpty {
            newerInline = Self.absent
        } else {
            newerInline = olderInline
            olderInline = spilled.removeLast()
            if spilled.isEmpty { spilled = [] }
        }
        return removed
    }

    mutating func removeFirst(_ count: Int) {
        guard count > 0 else { return }
        self = RevisionList(dropFirst(count))
    }
}
