import EtcdWire

/// How a command travels in a Raft log entry: an 8-byte big-endian request ID (so the member
/// that proposed it can answer the waiting client once it is applied), a 1-byte kind, and the
/// request's own protobuf encoding. The layout is part of the on-disk format
/// (docs/storage-format.md): change it only with a new kind byte.
struct Proposal: Hashable {
    var requestID: UInt64
    var command: Command

    private enum Kind: UInt8 {
        case put = 1, deleteRange = 2, txn = 3, compact = 4, leaseGrant = 5, leaseRevoke = 6, publishMember = 7, alarm = 8
    }

    func encoded() -> [UInt8] {
        let (kind, payload): (Kind, [UInt8])
        switch command {
        case .put(let request): (kind, payload) = (.put, request.protobuf())
        case .deleteRange(let request): (kind, payload) = (.deleteRange, request.protobuf())
        case .txn(let request): (kind, payload) = (.txn, request.protobuf())
        case .compact(let request): (kind, payload) = (.compact, request.protobuf())
        case .leaseGrant(let request): (kind, payload) = (.leaseGrant, request.protobuf())
        case .leaseRevoke(let request): (kind, payload) = (.leaseRevoke, request.protobuf())
        case .publishMember(let member): (kind, payload) = (.publishMember, member.protobuf())
        case .alarm(let request): (kind, payload) = (.alarm, request.protobuf())
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(9 + payload.count)
        bytes.append(contentsOf: BigEndian.bytes(requestID))
        bytes.append(kind.rawValue)
        bytes.append(contentsOf: payload)
        return bytes
    }

    struct DecodingError: Error, CustomStringConvertible {
        let description: String
    }

    init(requestID: UInt64, command: Command) {
        self.requestID = requestID
        self.command = command
    }

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count >= 9 else { throw DecodingError(description: "log entry of \(bytes.count) bytes is too short") }
        requestID = BigEndian.word(bytes)
        let payload = bytes[9...]
        switch Kind(rawValue: bytes[8]) {
        case .put?: command = .put(try PutRequest(protobuf: payload))
        case .deleteRange?: command = .deleteRange(try DeleteRangeRequest(protobuf: payload))
        case .txn?: command = .txn(try TxnRequest(protobuf: payload))
        case .compact?: command = .compact(try CompactionRequest(protobuf: payload))
        case .leaseGrant?: command = .leaseGrant(try LeaseGrantRequest(protobuf: payload))
        case .leaseRevoke?: command = .leaseRevoke(try LeaseRevokeRequest(protobuf: payload))
        case .publishMember?: command = .publishMember(try Member(protobuf: payload))
        case .alarm?: command = .alarm(try AlarmRequest(protobuf: payload))
        case nil: throw DecodingError(description: "log entry has unknown command kind \(bytes[8])")
        }
    }
}
