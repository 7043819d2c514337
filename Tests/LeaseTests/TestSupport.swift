import EtcdWire
@testable import Lease
import XCTest

/// The injected clock: an instant `seconds` after the origin.
func at(_ seconds: Double) -> MonotonicInstant {
    MonotonicInstant(nanoseconds: Int64((seconds * 1e9).rounded()))
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

func keys(_ strings: String...) -> Set<[UInt8]> { Set(strings.map(bytes)) }

/// A committed put of `key` carrying `lease`, whose previous version carried `previousLease`
/// (nil: the key did not exist).
func putEvent(_ key: String, lease: LeaseID, previousLease: LeaseID? = nil) -> Event {
    var event = Event()
    event.type = .put
    event.kv = KeyValue(key: bytes(key), createRevision: 2, modRevision: 3, version: 1, value: [], lease: lease)
    event.prevKV = previousLease.map { KeyValue(key: bytes(key), createRevision: 2, modRevision: 2, version: 1, value: [], lease: $0) }
    return event
}

func deleteEvent(_ key: String, previousLease: LeaseID) -> Event {
    var event = Event()
    event.type = .delete
    event.kv = KeyValue(key: bytes(key), createRevision: 0, modRevision: 4, version: 0, value: [], lease: 0)
    event.prevKV = KeyValue(key: bytes(key), createRevision: 2, modRevision: 3, version: 1, value: [], lease: previousLease)
    return event
}

/// A lessor holding the leases since time 0, with the interop server's minimum TTL.
func primaryLessor(minimumTTL: Int64 = 2) -> Lessor {
    var lessor = Lessor(minimumTTL: minimumTTL)
    lessor.promote(now: at(0), extend: .zero)
    return lessor
}

extension Lessor {
    /// Grants and starts the clock at `now`, as the server does around one applied batch.
    @discardableResult
    mutating func grantStarted(_ id: LeaseID, ttl: Int64, now: MonotonicInstant) throws -> Lease {
        let lease = try grant(id: id, ttl: ttl)
        startClocks(now: now)
        return lease
    }
}

func XCTAssertThrows<T>(
    _ expected: EtcdError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown", file: file, line: line)
    } catch let error as EtcdError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}
