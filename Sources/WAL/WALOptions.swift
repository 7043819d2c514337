/// How segments are sized and how many are kept.
public struct WALOptions: Sendable {
    /// A segment is cut after the sync that takes it to at least this many bytes. Tests use a few KiB.
    public var segmentSizeBytes: Int
    /// `releaseTo` removes covered segments only while more than this many remain; 0 keeps all
    /// (etcd's `--max-wals`).
    public var maxWALs: Int
    /// Reserve each segment's full size when it is created, so an append's fdatasync need not
    /// also write the file size.
    public var preallocatesSegments: Bool

    public init(segmentSizeBytes: Int = 64 << 20, maxWALs: Int = 5, preallocatesSegments: Bool = true) {
        precondition(segmentSizeBytes > 0, "segment size must be positive")
        precondition(maxWALs >= 0, "maxWALs must not be negative")
        self.segmentSizeBytes = segmentSizeBytes
        self.maxWALs = maxWALs
        self.preallocatesSegments = preallocatesSegments
    }
}
