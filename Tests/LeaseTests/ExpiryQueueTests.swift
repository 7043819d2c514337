@testable import Lease
import XCTest

final class ExpiryQueueTests: XCTestCase {
    /// Random schedules, moves and removals against a plain dictionary: the queue's first entry is
    /// always the dictionary's minimum by (due, id).
    func testMatchesAReferenceModel() {
        var generator = SplitMix(seed: 42)
        var queue = ExpiryQueue()
        var model: [LeaseID: Int64] = [:]
        for _ in 0..<20_000 {
            let id = LeaseID(generator.next() % 300)
            switch generator.next() % 4 {
            case 0, 1:
                let due = Int64(generator.next() % 1000)
                queue.schedule(id, at: MonotonicInstant(nanoseconds: due))
                model[id] = due
            case 2:
                queue.remove(id)
                model[id] = nil
            default:
                if let first = queue.first {
                    queue.remove(first.id)
                    XCTAssertEqual(model.removeValue(forKey: first.id), first.due.nanoseconds)
                }
            }
            let expected = model.min { ($0.value, $0.key) < ($1.value, $1.key) }
            XCTAssertEqual(queue.first?.id, expected?.key)
            XCTAssertEqual(queue.first?.due.nanoseconds, expected?.value)
            XCTAssertEqual(queue.count, model.count)
        }
    }
}

/// A small deterministic generator, so a failure reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
