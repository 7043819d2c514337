/// Member and cluster IDs, derived as etcd derives them at bootstrap so that the IDs a
/// client sees are stable across restarts and match what etcd would print for the same flags.
public enum MemberIdentity {
    /// First 8 bytes (big-endian) of SHA-1 over the sorted peer URLs followed by the cluster token.
    public static func memberID(peerURLs: [String], clusterToken: String) -> UInt64 {
        var bytes: [UInt8] = []
        for url in peerURLs.sorted() { bytes.append(contentsOf: Array(url.utf8)) }
        bytes.append(contentsOf: Array(clusterToken.utf8))
        return BigEndian.word(SHA1.digest(bytes))
    }

    /// First 8 bytes of SHA-1 over the sorted member IDs, each as 8 big-endian bytes.
    public static func clusterID(memberIDs: [UInt64]) -> UInt64 {
        BigEndian.word(SHA1.digest(memberIDs.sorted().flatMap(BigEndian.bytes)))
    }
}
