import Raft

/// What a WAL record says, and how its payload is laid out (docs/storage-format.md):
///
/// - metadata: opaque bytes
/// - entry: term (8), index (8), entry type (1), data (the rest)
/// - hard state: term (8), vote (8), commit (8)
/// - snapshot marker: index (8), term (8)
/// - crc carry: empty (its frame's previous-checksum links the segment to the one before)
enum LogRecord: Equatable {
    case metadata([UInt8])
    case entry(Entry)
    case hardState(HardState)
    case snapshotMarker(SnapshotMarker)
    case crcCarry

    static let entryFieldsCount = 17

    var type: RecordType {
        switch self {
        case .metadata: return .metadata
        case .entry: return .entry
        case .hardState: return .hardState
        case .snapshotMarker: return .snapshotMarker
        case .crcCarry: return .crcCarry
        }
    }

    var payloadCount: Int {
        switch self {
        case let .metadata(bytes): return bytes.count
        case let .entry(entry): return Self.entryFieldsCount + entry.data.count
        case .hardState: return 24
        case .snapshotMarker: return 16
        case .crcCarry: return 0
        }
    }

    func encodePayload(into bytes: inout [UInt8]) {
        switch self {
        case let .metadata(metadata):
            bytes.append(contentsOf: metadata)
        case let .entry(entry):
            bytes.appendLittleEndian(entry.term)
            bytes.appendLittleEndian(entry.index)
            bytes.append(entry.type.rawValue)
            bytes.append(contentsOf: entry.data)
        case let .hardState(state):
            bytes.appendLittleEndian(state.term)
            bytes.appendLittleEndian(state.vote)
            bytes.appendLittleEndian(state.commit)
        case let .snapshotMarker(marker):
            bytes.appendLittleEndian(marker.index)
            bytes.appendLittleEndian(marker.term)
        case .crcCarry:
            break
        }
    }

    /// The record a verified frame holds, or nil if the payload has the wrong shape for its type.
    init?(type: RecordType, payload: ArraySlice<UInt8>) {
        var reader = ByteReader(payload)
        switch type {
        case .metadata:
            self = .metadata(Array(payload))
            return
        case .entry:
            guard let term = reader.read(UInt64.self), let index = reader.read(UInt64.self),
                  let rawType = reader.read(UInt8.self), let entryType = EntryType(rawValue: rawType)
            else { return nil }
            self = .entry(Entry(term: term, index: index, type: entryType, data: Array(reader.readRest())))
        case .hardState:
            guard let term = reader.read(UInt64.self), let vote = reader.read(UInt64.self),
                  let commit = reader.read(UInt64.self) else { return nil }
            self = .hardState(HardState(term: term, vote: vote, commit: commit))
        case .snapshotMarker:
            guard let index = reader.read(UInt64.self), let term = reader.read(UInt64.self) else { return nil }
            self = .snapshotMarker(SnapshotMarker(index: index, term: term))
        case .crcCarry:
            self = .crcCarry
        }
        guard reader.remainingCount == 0 else { return nil }
    }
}
