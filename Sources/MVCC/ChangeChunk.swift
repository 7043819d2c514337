import EtcdWire

/// A run of consecutive stored changes: their fixed-size records, and the key, value and
/// remaining fields of all of them in one buffer.
///
/// Both arrays are reserved when the chunk opens and only appended to while there is room, so
/// a chunk never reallocates: the log grows by whole chunks and never copies what it holds.
struct ChangeChunk {
    /// One stored change. At `bytes[offset...]` are its key, its value and then, for a put, its
    /// create revision, version and lease as varints (a tombstone has none of them).
    struct Record {
        var revision: Revision
        var offset: UInt32
        var keyLength: UInt32
        var valueLength: UInt32
        var isTombstone: Bool

        var payloadBytes: Int { Int(keyLength) + Int(valueLength) }
    }

    /// The most bytes a put's three varints take.
    private static let maxFieldBytes = 30

    private(set) var records: [Record] = []
    private(set) var bytes: [UInt8] = []

    /// An empty chunk that holds nothing and allocates nothing.
    init() {}

    /// A chunk with room for `recordCapacity` changes and `byteCapacity` bytes (more if
    /// `payload`, the first change's key and value, needs it).
    init(recordCapacity: Int, byteCapacity: Int, firstPayload payload: Int) {
        records.reserveCapacity(recordCapacity)
        bytes.reserveCapacity(max(byteCapacity, payload + Self.maxFieldBytes))
    }

    var isEmpty: Bool { records.isEmpty }
    var count: Int { records.count }

    /// Whether a change with `payload` key and value bytes fits without reallocating.
    func hasRoom(forPayload payload: Int) -> Bool {
        records.count < records.capacity && payload + Self.maxFieldBytes <= bytes.capacity - bytes.count
    }

    mutating func append(_ change: StoredChange) {
        let kv = change.kv
        append(
            revision: change.revision, createRevision: kv.createRevision, version: kv.version, lease: kv.lease,
            isTombstone: change.isTombstone, key: kv.key[...], value: kv.value[...])
    }

    /// Appends the change `record` describes, whose bytes are in `source`.
    mutating func append(_ record: Record, from source: ChangeChunk) {
        let fields = source.fields(of: record)
        append(
            revision: record.revision, createRevision: fields.createRevision, version: fields.version,
            lease: fields.lease, isTombstone: record.isTombstone,
            key: source.keyBytes(of: record), value: source.valueBytes(of: record))
    }

    private mutating func append(
        revision: Revision, createRevision: Int64, version: Int64, lease: Int64, isTombstone: Bool,
        key: ArraySlice<UInt8>, value: ArraySlice<UInt8>
    ) {
        precondition(hasRoom(forPayload: key.count + value.count), "no room in the chunk")
        let offset = UInt32(bytes.count)
        bytes.append(contentsOf: key)
        bytes.append(contentsOf: value)
        if !isTombstone {
            appendVarint(UInt64(bitPattern: createRevision))
            appendVarint(UInt64(bitPattern: version))
            appendVarint(UInt64(bitPattern: lease))
        }
        records.append(Record(
            revision: revision, offset: offset, keyLength: UInt32(key.count), valueLength: UInt32(value.count),
            isTombstone: isTombstone))
    }

    /// Removes the newest change and returns its record.
    mutating func removeLast() -> Record {
        let record = records.removeLast()
        bytes.removeSubrange(Int(record.offset)...)
        return record
    }

    /// Gives back reserved room that will not be used, once no more changes are appended here.
    mutating func releaseUnusedCapacity() {
        if records.capacity - records.count > records.count / 8 { records = Array(records) }
        if bytes.capacity - bytes.count > bytes.count / 8 { bytes = Array(bytes) }
    }

    func revision(at index: Int) -> Revision { records[index].revision }

    func key(at index: Int) -> [UInt8] { Array(keyBytes(of: records[index])) }

    /// The change at `index`, its key and value copied out.
    func change(at index: Int) -> StoredChange {
        let record = records[index]
        let fields = fields(of: record)
        let kv = KeyValue(
            key: Array(keyBytes(of: record)),
            createRevision: fields.createRevision,
            modRevision: record.revision.main,
            version: fields.version,
            value: Array(valueBytes(of: record)),
            lease: fields.lease)
        return StoredChange(revision: record.revision, kv: kv, isTombstone: record.isTombstone)
    }

    /// The position of the first change at or after `revision` (`count` if none).
    func firstIndex(notBelow revision: Revision) -> Int {
        var low = 0
        var high = records.count
        while low < high {
            let mid = (low + high) / 2
            if records[mid].revision < revision { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func keyBytes(of record: Record) -> ArraySlice<UInt8> {
        let start = Int(record.offset)
        return bytes[start..<(start + Int(record.keyLength))]
    }

    private func valueBytes(of record: Record) -> ArraySlice<UInt8> {
        let start = Int(record.offset) + Int(record.keyLength)
        return bytes[start..<(start + Int(record.valueLength))]
    }

    /// A put's create revision, version and lease; zeros for a tombstone.
    private func fields(of record: Record) -> (createRevision: Int64, version: Int64, lease: Int64) {
        guard !record.isTombstone else { return (0, 0, 0) }
        var position = Int(record.offset) + record.payloadBytes
        func next() -> Int64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return Int64(bitPattern: value) }
                shift += 7
            }
        }
        return (next(), next(), next())
    }

    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}
