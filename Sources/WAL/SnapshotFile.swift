import Checksum
import Raft

/// The layout of a `.snap` file (docs/storage-format.md, "Snapshots"):
///
///     0 "snap"   4 version (4)   8 CRC-32C of bytes 12..<end (4)
///     12 index (8)   20 term (8)   28 voter count V (4), V voter IDs (8 each),
///     learner count L (4), L learner IDs (8 each), data length D (8), data (D)
enum SnapshotFile {
    static let magic: [UInt8] = Array("snap".utf8)
    static let version: UInt32 = 1
    static let checksumOffset = 8
    static let checksummedFrom = 12

    /// Everything before the data, with the checksum left 0: it covers the data too, so the writer
    /// fills it in at `checksumOffset` once the data has gone by (see `Snapshotter.save`).
    static func header(for metadata: SnapshotMetadata, dataCount: Int) -> [UInt8] {
        let confState = metadata.confState
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(metadata.index)
        bytes.appendLittleEndian(metadata.term)
        bytes.appendLittleEndian(UInt32(confState.voters.count))
        for voter in confState.voters { bytes.appendLittleEndian(voter) }
        bytes.appendLittleEndian(UInt32(confState.learners.count))
        for learner in confState.learners { bytes.appendLittleEndian(learner) }
        bytes.appendLittleEndian(UInt64(dataCount))
        return bytes
    }

    /// The snapshot a file holds, if the file is whole and agrees with its name.
    static func decode(_ bytes: [UInt8], name: SnapshotFileName, label: String) throws -> Snapshot {
        func corrupt(_ problem: String) -> WALError { .corruptSnapshot(file: label, problem: problem) }
        guard bytes.count >= checksummedFrom else { throw corrupt("file of \(bytes.count) bytes is too short") }
        guard Array(bytes[0..<magic.count]) == magic else { throw corrupt("not a snapshot file (bad magic)") }
        let fileVersion = bytes.loadLittleEndian(UInt32.self, at: magic.count)
        guard fileVersion == version else { throw corrupt("unsupported format version \(fileVersion)") }
        guard CRC32C.update(0, bytes[checksummedFrom...]) == bytes.loadLittleEndian(UInt32.self, at: checksumOffset) else {
            throw corrupt("crc mismatch")
        }

        var reader = ByteReader(bytes[checksummedFrom...])
        func readIDs() -> [UInt64]? {
            guard let count = reader.read(UInt32.self), Int(count) <= reader.remainingCount / 8 else { return nil }
            return (0..<count).map { _ in reader.read(UInt64.self)! }
        }
        guard let index = reader.read(UInt64.self), let term = reader.read(UInt64.self),
              let voters = readIDs(), let learners = readIDs(),
              let dataCount = reader.read(UInt64.self), dataCount == UInt64(reader.remainingCount)
        else { throw corrupt("fields do not match the file length") }
        guard index == name.index, term == name.term else {
            throw corrupt("holds index \(index), term \(term), which its name does not")
        }
        return Snapshot(
            metadata: SnapshotMetadata(index: index, term: term, confState: ConfState(voters: voters, learners: learners)),
            data: Array(reader.readRest())
        )
    }
}
