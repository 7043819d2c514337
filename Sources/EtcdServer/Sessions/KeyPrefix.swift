/// Key helpers shared by the lock and election recipes, as clientv3 builds them.
enum KeyPrefix {
    /// The end of the range of keys starting with `prefix` (clientv3's `GetPrefixRangeEnd`):
    /// the prefix with its last byte below 0xff incremented and what follows dropped; "\0"
    /// (every key from `prefix` on) if there is no such byte.
    static func rangeEnd(of prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// A session's key under a lock or election: `<name>/<lease ID in lower-case hex>`, as
    /// clientv3 formats it with `%x` (a negative ID keeps its minus sign).
    static func sessionKey(_ name: [UInt8], lease: Int64) -> [UInt8] {
        name + Array("/\(String(lease, radix: 16))".utf8)
    }
}
