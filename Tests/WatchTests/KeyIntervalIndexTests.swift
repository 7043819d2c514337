import EtcdWire
import MVCC
@testable import Watch
import XCTest

final class KeyIntervalIndexTests: XCTestCase {
    /// Random inserts and removals over a small alphabet, each followed by stabbing queries
    /// compared with a plain scan of every interval.
    func testStabbingQueriesMatchAScanOfEveryInterval() {
        var random = SeededGenerator(seed: 7)
        let stream = WatchStreamState(id: 0)
        var index = KeyIntervalIndex()
        var live: [(watcher: Watcher, start: [UInt8], end: IntervalEnd)] = []
        func randomKey() -> [UInt8] {
            (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt8.random(in: 97...101, using: &random) }
        }
        for step in 0..<800 {
            if live.isEmpty || Int.random(in: 0..<10, using: &random) < 6 {
                let start = randomKey()
                var end = IntervalEnd.unbounded
                if Int.random(in: 0..<4, using: &random) > 0 {
                    var limit = randomKey()
                    while !ByteOrder.less(start, limit) { limit = randomKey() + [102] }
                    end = .before(limit)
                }
                var request = WatchCreateRequest()
                request.key = start
                request.rangeEnd = [0]
                let watcher = Watcher(id: Int64(step), stream: stream, spec: WatchSpec(request)!, state: .synced, nextRevision: 1)
                index.insert(watcher, start: start, end: end)
                live.append((watcher, start, end))
            } else {
                let (watcher, start, end) = live.remove(at: Int.random(in: 0..<live.count, using: &random))
                index.remove(watcher, start: start, end: end)
            }
            for _ in 0..<5 {
                let key = randomKey()
                var found: [Int64] = []
                index.forEachGroup(containing: key) { group in found += group.map(\.id) }
                let expected = live.filter { !ByteOrder.less(key, $0.start) && $0.end.isAfter(key) }.map(\.watcher.id)
                guard found.sorted() == expected.sorted() else {
                    XCTFail("step \(step) key \(key): found \(found.sorted()), want \(expected.sorted())")
                    return
                }
            }
        }
        XCTAssertEqual(index.intervals.reduce(0) { $0 + $1.watchers.count }, live.count)
    }
}
