/// Bytewise (unsigned, lexicographic) ordering of keys, the order etcd keeps its keys in.
public enum ByteOrder {
    /// -1, 0 or 1 as `a` sorts before, equal to, or after `b`. A proper prefix sorts first.
    public static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let shared = min(pa.count, pb.count)
                var i = 0
                while i < shared {
                    if pa[i] != pb[i] { return pa[i] < pb[i] ? -1 : 1 }
                    i += 1
                }
                return pa.count == pb.count ? 0 : (pa.count < pb.count ? -1 : 1)
            }
        }
    }

    public static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool { compare(a, b) < 0 }
}
