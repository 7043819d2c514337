/// Member and cluster IDs, derived as etcd derives them at bootstrap so that the IDs a
/// client sees are stable across restarts and match what etcd would print for the same flags.
public enum MemberIdentity {
    /// First 8 bytes (big-endian) of SHA-1 over the sorted peer URLs followed by the cluster token.
    public static func memberID(peerURLs: [String], clusterToken: String) -> UInt64 {
        var bytes: [UInt8] = []
        for url in peerURLs.sorted() { bytes.append(contentsOf: Array(url.utf8)) }
        bytes.append(contentsOf: Array(clusterToken.utf8))
        return firstWord(SHA1.digest(bytes))
    }

    /// First 8 bytes of SHA-1 over the sorted member IDs, each as 8 big-endian bytes.
    public static func clusterID(memberIDs: [UInt64]) -> UInt64 {
        var bytes: [UInt8] = []
        for id in memberIDs.sorted() {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: id >> UInt64(shift))) }
        }
        return firstWord(SHA1.digest(bytes))
    }

    private static func firstWord(_ digest: [UInt8]) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
