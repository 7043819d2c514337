/// A point in the store's history.
///
/// `main` is the store revision a write transaction commits at; `sub` numbers the changes inside
/// that transaction from 0. Clients only ever see `main` (as create/mod revisions and header
/// revisions); `sub` keeps several changes of one transaction apart in the index and the log.
public struct Revision: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var main: Int64
    public var sub: Int64

    public init(main: Int64, sub: Int64 = 0) {
        self.main = main
        self.sub = sub
    }

    public static func < (lhs: Revision, rhs: Revision) -> Bool {
        (lhs.main, lhs.sub) < (rhs.main, rhs.sub)
    }

    public var description: String { "\(main).\(sub)" }
}
