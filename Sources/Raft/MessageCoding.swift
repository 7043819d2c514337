// The peer transport's encoding of Raft values. A message starts with a version byte so the
// format can change without ambiguity; everything else is varints and counted byte strings.

private let messageFormatVersion: UInt8 = 1
private let rejectFlag: UInt8 = 1
private let snapshotFlag: UInt8 = 2

extension Message {
    public func encode() -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeByte(messageFormatVersion)
        writer.writeByte(type.rawValue)
        for field in [to, from, term, logTerm, index, commit, rejectHint] {
            writer.writeVarint(field)
        }
        writer.writeByte((reject ? rejectFlag : 0) | (snapshot == nil ? 0 : snapshotFlag))
        writer.writeBytes(context)
        writer.writeVarint(UInt64(entries.count))
        entries.forEach { $0.write(to: &writer) }
        snapshot?.write(to: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        let version = try reader.readByte()
        guard version == messageFormatVersion else { throw .unsupportedVersion(version) }
        let rawType = try reader.readByte()
        guard let type = MessageType(rawValue: rawType) else { throw .unknownMessageType(rawType) }
        self.init(type: type)
        to = try reader.readVarint()
        from = try reader.readVarint()
        term = try reader.readVarint()
        logTerm = try reader.readVarint()
        index = try reader.readVarint()
        commit = try reader.readVarint()
        rejectHint = try reader.readVarint()
        let flags = try reader.readByte()
        reject = flags & rejectFlag != 0
        context = try reader.readBytes()
        let entryCount = try reader.readCount()
        entries.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            entries.append(try Entry(reading: &reader))
        }
        if flags & snapshotFlag != 0 {
            snapshot = try Snapshot(reading: &reader)
        }
        try reader.expectEnd()
    }
}

extension Entry {
    public func encode() -> [UInt8] {
        var writer = BinaryWriter()
        write(to: &writer)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        try self.init(reading: &reader)
        try reader.expectEnd()
    }

    func write(to writer: inout BinaryWriter) {
        writer.writeVarint(term)
        writer.writeVarint(index)
        writer.writeByte(type.rawValue)
        writer.writeBytes(data)
    }

    init(reading reader: inout BinaryReader) throws(BinaryDecodingError) {
        let term = try reader.readVarint()
        let index = try reader.readVarint()
        let rawType = try reader.readByte()
        guard let type = EntryType(rawValue: rawType) else { throw .unknownEntryType(rawType) }
        self.init(term: term, index: index, type: type, data: try reader.readBytes())
    }
}

extension Snapshot {
    func write(to writer: inout BinaryWriter) {
        writer.writeVarint(metadata.index)
        writer.writeVarint(metadata.term)
        writer.writeIDs(metadata.confState.voters)
        writer.writeIDs(metadata.confState.learners)
        writer.writeBytes(data)
    }

    init(reading reader: inout BinaryReader) throws(BinaryDecodingError) {
        let index = try reader.readVarint()
        let term = try reader.readVarint()
        let confState = ConfState(voters: try reader.readIDs(), learners: try reader.readIDs())
        self.init(metadata: SnapshotMetadata(index: index, term: term, confState: confState),
                  data: try reader.readBytes())
    }
}

extension ConfChange {
    /// The bytes stored as the data of a `.confChange` entry.
    public func encode() -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeByte(kind.rawValue)
        writer.writeVarint(nodeID)
        writer.writeBytes(context)
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(BinaryDecodingError) {
        var reader = BinaryReader(bytes)
        let rawKind = try reader.readByte()
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownConfChangeKind(rawKind) }
        self.init(kind: kind, nodeID: try reader.readVarint(), context: try reader.readBytes())
        try reader.expectEnd()
    }
}
