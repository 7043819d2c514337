import Checksum
import EtcdWire

/// Reads a store snapshot back, checking every rule of the format (docs/storage-format.md,
/// "Store snapshots") before anything is built from it: a restored store holds exactly the
/// invariants a store that made the same writes holds, so nothing later trips over it.
struct MVCCSnapshotDecoder {
    /// What a store is made of.
    struct Restored {
        var currentRevision: Int64
        var compactMainRevision: Int64
        var index = OrderedKeyMap<KeyIndex>()
        var log = RevisionLog()
        var keyCount = 0
    }

    private var reader: SnapshotReader
    private var restored: Restored
    /// Every stored change, in key order until `buildLog` sorts them.
    private var changes: [StoredChange] = []

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(MVCCSnapshotError) -> Restored {
        try checkEnvelope(bytes)
        var reader = SnapshotReader(bytes, from: MVCCSnapshotLayout.headerSize, to: bytes.count - MVCCSnapshotLayout.checksumSize)

        let outer = reader.enterSection(length: try sectionLength(.revisions, in: &reader))
        if reader.remaining != MVCCSnapshotLayout.revisionsSectionSize {
            throw reader.malformed("the revisions section is \(reader.remaining) bytes, not \(MVCCSnapshotLayout.revisionsSectionSize)")
        }
        let current: Int64 = try reader.littleEndian("current revision")
        let compacted: Int64 = try reader.littleEndian("compacted revision")
        let keyCount: UInt64 = try reader.littleEndian("key count")
        let changeCount: UInt64 = try reader.littleEndian("change count")
        try reader.leaveSection("revisions", restoring: outer)
        if current < 1 { throw reader.malformed("current revision \(current) is below 1") }
        if compacted < -1 || compacted > current {
            throw reader.malformed("compacted revision \(compacted) is outside -1...\(current)")
        }

        var decoder = MVCCSnapshotDecoder(
            reader: reader, restored: Restored(currentRevision: current, compactMainRevision: compacted))
        try decoder.readKeysSection(keyCount: keyCount, changeCount: changeCount)
        if decoder.reader.remaining != 0 {
            throw decoder.reader.malformed("\(decoder.reader.remaining) bytes between the last section and the checksum")
        }
        try decoder.buildLog()
        return decoder.restored
    }

    /// Magic, version, length and checksum: whether these are the bytes of a whole, undamaged
    /// snapshot this build can read.
    private static func checkEnvelope(_ bytes: UnsafeBufferPointer<UInt8>) throws(MVCCSnapshotError) {
        let magic = MVCCSnapshotLayout.magic
        if !bytes.prefix(magic.count).elementsEqual(magic.prefix(bytes.count)) {
            throw MVCCSnapshotError(.notASnapshot, at: 0, "does not start with the magic \"mvcc\"")
        }
        let minimum = MVCCSnapshotLayout.headerSize + MVCCSnapshotLayout.checksumSize
        if bytes.count < minimum {
            throw MVCCSnapshotError(.wrongLength, at: bytes.count, "only \(bytes.count) bytes, less than a header and a checksum: truncated")
        }
        var header = SnapshotReader(bytes, from: magic.count)
        let version: UInt32 = try header.littleEndian("format version")
        if version != MVCCSnapshotLayout.version {
            throw MVCCSnapshotError(.unsupportedVersion, at: 4, "format version \(version); this build reads version \(MVCCSnapshotLayout.version)")
        }
        let total: UInt64 = try header.littleEndian("total length")
        if total != UInt64(bytes.count) {
            let what = total > UInt64(bytes.count) ? "truncated" : "trailing bytes after the snapshot"
            throw MVCCSnapshotError(.wrongLength, at: 8, "the header says \(total) bytes, there are \(bytes.count): \(what)")
        }
        var checksum = CRC32C()
        checksum.add(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<(bytes.count - MVCCSnapshotLayout.checksumSize)])))
        var trailer = SnapshotReader(bytes, from: bytes.count - MVCCSnapshotLayout.checksumSize)
        let stored: UInt32 = try trailer.littleEndian("checksum")
        if stored != checksum.value {
            throw MVCCSnapshotError(
                .checksumMismatch, at: bytes.count - MVCCSnapshotLayout.checksumSize,
                "CRC-32C is \(hex(checksum.value)), the snapshot says \(hex(stored)): the bytes are damaged")
        }
    }

    /// Reads a section header, which must be `section`'s; returns its payload length.
    private static func sectionLength(
        _ section: MVCCSnapshotLayout.Section, in reader: inout SnapshotReader
    ) throws(MVCCSnapshotError) -> Int {
        let start = reader.offset
        let tag = try reader.byte("section tag")
        if tag != section.rawValue { throw reader.malformed("expected the \(section) section (tag \(section.rawValue)), found tag \(tag)", at: start) }
        let length: UInt64 = try reader.littleEndian("section length")
        if length > UInt64(reader.remaining) {
            throw reader.malformed("the \(section) section claims \(length) bytes, \(reader.remaining) are left", at: start)
        }
        return Int(length)
    }

    // MARK: - Keys

    private mutating func readKeysSection(keyCount: UInt64, changeCount: UInt64) throws(MVCCSnapshotError) {
        let outer = reader.enterSection(length: try Self.sectionLength(.keys, in: &reader))
        // Every key takes at least four bytes and every change two: counts beyond that are lies,
        // and must not size an allocation.
        if keyCount > UInt64(reader.remaining / 4) || changeCount > UInt64(reader.remaining / 2) {
            throw reader.malformed("\(keyCount) keys and \(changeCount) changes cannot fit in a \(reader.remaining)-byte keys section")
        }
        changes.reserveCapacity(Int(changeCount))
        var previousKey: [UInt8]?
        for _ in 0..<keyCount {
            let start = reader.offset
            let keyLength = try reader.count("key length", atLeast: 1)
            let key = try reader.bytes("key", count: keyLength)
            if let previousKey, !ByteOrder.less(previousKey, key) {
                throw reader.malformed("\(describe(key)) does not sort after \(describe(previousKey))", at: start)
            }
            let keyIndex = KeyIndex(restoring: try readGenerations(of: key))
            restored.index.update(key, insertingIfMissing: { keyIndex }) { _ in }
            if keyIndex.isLive { restored.keyCount += 1 }
            previousKey = key
        }
        try reader.leaveSection("keys", restoring: outer)
        if changes.count != Int(changeCount) {
            throw reader.malformed("the keys hold \(changes.count) changes, the revisions section says \(changeCount)")
        }
    }

    /// One key's generations, as `KeyIndex` describes them; appends their changes to `changes`.
    private mutating func readGenerations(of key: [UInt8]) throws(MVCCSnapshotError) -> [KeyIndex.Generation] {
        let count = try reader.count("generation count", atLeast: 1)
        var generations: [KeyIndex.Generation] = []
        generations.reserveCapacity(count)
        var newest: Revision?
        for number in 0..<count {
            let start = reader.offset
            let ended = number < count - 1
            let revisionCount = try reader.count("revision count", eachAtLeast: 2)
            if ended, revisionCount < 2 {
                throw reader.malformed("generation \(number) of \(describe(key)) ended with \(revisionCount) revisions; an ended generation holds a put and its tombstone", at: start)
            }
            if revisionCount == 0 {
                if count == 1 { throw reader.malformed("\(describe(key)) holds no revision", at: start) }
                generations.append(KeyIndex.Generation())
                continue
            }
            let created = Revision(
                main: try reader.varint("creation revision", in: MVCCSnapshotLayout.firstChangeRevision...restored.currentRevision),
                sub: try reader.varint("creation sub-revision", in: 0...Int64.max))
            // The version is one more after every put: keep it where `+ 1` cannot overflow.
            let version = try reader.varint("version", in: Int64(revisionCount)...(Int64.max - 1))
            var generation = KeyIndex.Generation(version: version, created: created, revisions: [])
            generation.revisions.reserveCapacity(revisionCount)
            for position in 0..<revisionCount {
                let revision = try readRevision(after: newest, of: key)
                if ended, position == revisionCount - 1 {
                    let tombstone = KeyValue(key: key, createRevision: 0, modRevision: revision.main, version: 0, value: [], lease: 0)
                    changes.append(StoredChange(revision: revision, kv: tombstone, isTombstone: true))
                } else {
                    let lease = Int64(bitPattern: try reader.varint("lease"))
                    let valueLength = try reader.count("value length")
                    let kv = KeyValue(
                        key: key, createRevision: created.main, modRevision: revision.main,
                        version: version - Int64(revisionCount - 1 - position),
                        value: try reader.bytes("value", count: valueLength), lease: lease)
                    changes.append(StoredChange(revision: revision, kv: kv, isTombstone: false))
                }
                generation.revisions.append(revision)
                newest = revision
            }
            try checkCreation(of: generation, number: number, key: key, at: start)
            generations.append(generation)
        }
        return generations
    }

    /// A revision of a key: after the key's previous one, and, unless it is the key's first,
    /// above the compaction (compaction keeps at most one revision of a key at or below it).
    private mutating func readRevision(after newest: Revision?, of key: [UInt8]) throws(MVCCSnapshotError) -> Revision {
        let start = reader.offset
        let revision = Revision(
            main: try reader.varint("revision", in: MVCCSnapshotLayout.firstChangeRevision...restored.currentRevision),
            sub: try reader.varint("sub-revision", in: 0...Int64.max))
        guard let newest else { return revision }
        if revision <= newest {
            throw reader.malformed("revision \(revision) of \(describe(key)) is not after \(newest)", at: start)
        }
        if revision.main <= restored.compactMainRevision {
            throw reader.malformed("\(describe(key)) holds \(revision) after \(newest), both at or below the compaction at \(restored.compactMainRevision)", at: start)
        }
        return revision
    }

    /// A generation holds every revision since its creation, unless compaction dropped the first
    /// ones: then it is the key's first generation, starts at or below the compaction, and its
    /// version counts the dropped puts too.
    private func checkCreation(of generation: KeyIndex.Generation, number: Int, key: [UInt8], at start: Int) throws(MVCCSnapshotError) {
        let first = generation.revisions[0]
        let held = Int64(generation.revisions.count)
        if generation.created == first {
            if generation.version != held {
                throw reader.malformed("generation \(number) of \(describe(key)) holds all \(held) revisions since its creation but has version \(generation.version)", at: start)
            }
        } else if generation.created > first || number != 0 || first.main > restored.compactMainRevision || generation.version == held {
            throw reader.malformed("generation \(number) of \(describe(key)) was created at \(generation.created), starts at \(first) and has version \(generation.version): not what compaction leaves", at: start)
        }
    }

    // MARK: - Log

    /// Puts the changes in revision order and checks that history since the compaction is
    /// whole: every revision from just above it to the current one, sub-revisions from 0 up.
    private mutating func buildLog() throws(MVCCSnapshotError) {
        changes.sort { $0.revision < $1.revision }
        let floor = max(restored.compactMainRevision, 1)
        var previous: Revision?
        for change in changes {
            let revision = change.revision
            if let previous, revision == previous {
                throw reader.malformed("revision \(revision) is held by two keys")
            }
            if revision.main > floor {
                // Wrapping adds: hostile revisions near Int64.max must fail the check, not trap.
                let follows: Bool
                if let previous, previous.main > floor {
                    follows = revision == Revision(main: previous.main, sub: previous.sub &+ 1)
                        || revision == Revision(main: previous.main &+ 1)
                } else {
                    follows = revision == Revision(main: floor &+ 1)
                }
                if !follows {
                    throw reader.malformed("history since revision \(floor) is not whole: \(revision) follows \(previous.map(String.init(describing:)) ?? "nothing")")
                }
            }
            previous = revision
        }
        let newest = previous?.main ?? 0
        if restored.currentRevision > floor, newest != restored.currentRevision {
            throw reader.malformed("the newest change is at \(newest), but the current revision is \(restored.currentRevision)")
        }
        restored.log = RevisionLog(ordered: changes)
        changes = []
    }
}

/// A key as an error message shows it: printable ASCII as is, other bytes as `\xNN`, long keys cut.
private func describe(_ key: [UInt8]) -> String {
    var text = ""
    for byte in key.prefix(48) {
        if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "\"") {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            text += "\\x" + hex(byte)
        }
    }
    return "key \"\(text)\(key.count > 48 ? "…" : "")\""
}

private func hex<I: FixedWidthInteger>(_ value: I) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, I.bitWidth / 4 - digits.count)) + digits
}
