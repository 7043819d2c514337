/// A store's snapshot measured (`MVCCStore.measureSnapshot()`): its length, for whoever must
/// announce it before the bytes (a length-prefixed section, a file header), and the keys
/// section's length, which `writeSnapshot(chunkSize:measured:to:)` needs so it does not measure
/// again. Holds only while the store does not change.
public struct MVCCSnapshotSize: Hashable, Sendable {
    /// The whole snapshot's length in bytes.
    public let byteCount: Int
    let keysSectionByteCount: Int
}
