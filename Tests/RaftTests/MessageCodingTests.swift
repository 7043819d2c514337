import XCTest
@testable import Raft

/// The compact binary encoding the peer transport uses for messages and log entries.
final class MessageCodingTests: XCTestCase {
    private let snapshot = Snapshot(metadata: SnapshotMetadata(index: 1 << 40, term: 7,
                                                               confState: ConfState(voters: [1, 2, 300], learners: [4])),
                                    data: Array(repeating: 0xAB, count: 1000))

    func testEveryMessageTypeRoundTrips() throws {
        for type in MessageType.allCases {
            let message = Message(type: type, to: 2, from: 1, term: 9, logTerm: 8, index: 1 << 33,
                                  entries: [Entry(term: 8, index: 1 << 33 + 1, data: [1, 2, 3]),
                                            Entry(term: 9, index: 1 << 33 + 2, type: .confChange,
                                                  data: ConfChange(kind: .addLearner, nodeID: 4).encode())],
                                  commit: 77, snapshot: type == .snap ? snapshot : nil, reject: type == .appResp,
                                  rejectHint: 5, context: Array("ctx".utf8))
            XCTAssertEqual(try Message(decoding: message.encode()), message, "\(type)")
        }
    }

    func testExtremeValuesRoundTrip() throws {
        let message = Message(type: .app, to: .max, from: .max, term: .max, logTerm: .max, index: .max,
                              entries: [Entry(term: .max, index: .max, data: [])], commit: .max, rejectHint: .max)
        XCTAssertEqual(try Message(decoding: message.encode()), message)
        XCTAssertEqual(try Message(decoding: Message(type: .hup).encode()), Message(type: .hup))
    }

    func testEntryAndConfChangeRoundTrip() throws {
        let entry = Entry(term: 3, index: 4, type: .confChange, data: Array(0...255))
        XCTAssertEqual(try Entry(decoding: entry.encode()), entry)
        for kind in [ConfChange.Kind.addVoter, .removeNode, .updateNode, .addLearner] {
            let change = ConfChange(kind: kind, nodeID: 1 << 60, context: Array("peer-urls".utf8))
            XCTAssertEqual(try ConfChange(decoding: change.encode()), change)
        }
    }

    func testEncodingIsCompact() {
        let heartbeat = Message(type: .heartbeat, to: 2, from: 1, term: 5, commit: 100)
        XCTAssertLessThanOrEqual(heartbeat.encode().count, 16)
    }

    func testEveryTruncationIsRejected() {
        let bytes = Message(type: .snap, to: 2, from: 1, term: 9, entries: [Entry(term: 1, index: 2, data: [9])],
                            snapshot: snapshot, context: [1]).encode()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try Message(decoding: Array(bytes[..<length])), "length \(length)")
        }
    }

    func testMalformedInputIsRejectedWithANamedError() {
        let valid = Message(type: .app, to: 2, from: 1).encode()
        // (bytes, expected error)
        let table: [([UInt8], BinaryDecodingError)] = [
            ([], .truncated),
            ([9] + valid.dropFirst(), .unsupportedVersion(9)),
            ([1, 99] + valid.dropFirst(2), .unknownMessageType(99)),
            (valid + [0], .trailingBytes),
            ([1, 3] + Array(repeating: 0xFF, count: 11), .malformedVarint),
        ]
        for (bytes, expected) in table {
            XCTAssertThrowsError(try Message(decoding: bytes)) { XCTAssertEqual($0 as? BinaryDecodingError, expected) }
        }
        XCTAssertThrowsError(try Entry(decoding: [1, 2, 7, 0])) {
            XCTAssertEqual($0 as? BinaryDecodingError, .unknownEntryType(7))
        }
        XCTAssertThrowsError(try ConfChange(decoding: [9, 1, 0])) {
            XCTAssertEqual($0 as? BinaryDecodingError, .unknownConfChangeKind(9))
        }
    }

    func testHugeCountsAreRejectedBeforeAllocating() {
        // A context length of 2^62 in a ten-byte message.
        var writer = BinaryWriter()
        writer.writeByte(1)
        writer.writeByte(MessageType.app.rawValue)
        for _ in 0..<7 { writer.writeVarint(0) }
        writer.writeByte(0)
        writer.writeVarint(1 << 62)
        XCTAssertThrowsError(try Message(decoding: writer.bytes)) {
            XCTAssertEqual($0 as? BinaryDecodingError, .lengthExceedsInput)
        }
    }

    func testRandomBytesNeverCrashTheDecoder() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0..<40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? Message(decoding: [1] + bytes)
            _ = try? Entry(decoding: bytes)
        }
    }
}
