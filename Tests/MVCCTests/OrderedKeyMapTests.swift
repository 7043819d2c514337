@testable import MVCC
import XCTest

final class OrderedKeyMapTests: XCTestCase {
    func testEmptyMap() {
        let map = OrderedKeyMap<Int>(minimumDegree: 2)
        XCTAssertNil(map[[1]])
        XCTAssertNil(map.removeValue(forKey: [1]))
        var visited = 0
        map.forEach(from: []) { _, _ in visited += 1; return true }
        XCTAssertEqual(visited, 0)
        map.checkInvariants()
    }

    func testScanStartsAtKeyAndStopsWhenAsked() {
        let map = OrderedKeyMap<Int>(minimumDegree: 2)
        for (i, key) in ["b", "d", "a", "c", "e", "ba"].enumerated() {
            map.update(bytes(key), insertingIfMissing: { i }) { _ in }
        }
        var seen: [String] = []
        map.forEach(from: bytes("b")) { key, _ in
            seen.append(String(decoding: key, as: UTF8.self))
            return seen.count < 3
        }
        XCTAssertEqual(seen, ["b", "ba", "c"])
        seen = []
        map.forEach(from: bytes("bb")) { key, _ in seen.append(String(decoding: key, as: UTF8.self)); return true }
        XCTAssertEqual(seen, ["c", "d", "e"])
    }

    func testUpdateChangesStoredValueInPlace() {
        let map = OrderedKeyMap<[Int]>(minimumDegree: 2)
        map.update([7], insertingIfMissing: { [] }) { $0.append(1) }
        map.update([7], insertingIfMissing: { XCTFail("already stored"); return [] }) { $0.append(2) }
        map.updateExisting([7]) { $0.append(3) }
        XCTAssertEqual(map[[7]], [1, 2, 3])
        XCTAssertEqual(map.count, 1)
    }

    /// Random inserts, updates and removals against a dictionary, for several node sizes.
    func testMatchesDictionaryUnderRandomOperations() {
        for degree in [2, 3, 5, 32] {
            var random = SeededGenerator(seed: UInt64(degree))
            let map = OrderedKeyMap<Int>(minimumDegree: degree)
            var model: [[UInt8]: Int] = [:]
            for step in 0..<4000 {
                let key = (0..<Int.random(in: 1...2, using: &random)).map { _ in UInt8.random(in: 0...40, using: &random) }
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<5:
                    map.update(key, insertingIfMissing: { 0 }) { $0 = step }
                    model[key] = step
                case 5..<9:
                    XCTAssertEqual(map.removeValue(forKey: key), model.removeValue(forKey: key), "degree \(degree) step \(step)")
                default:
                    var scanned: [[UInt8]] = []
                    map.forEach(from: key) { k, _ in scanned.append(k); return scanned.count < 10 }
                    let expected = model.keys.filter { !ByteOrder.less($0, key) }.sorted(by: ByteOrder.less).prefix(10)
                    XCTAssertEqual(scanned, Array(expected), "degree \(degree) step \(step)")
                }
                XCTAssertEqual(map[key], model[key])
                if step % 97 == 0 { map.checkInvariants() }
            }
            map.checkInvariants()
            XCTAssertEqual(map.count, model.count)
            var all: [[UInt8]] = []
            map.updateAll { key, value in
                XCTAssertEqual(model[key], value)
                all.append(key)
            }
            XCTAssertEqual(all, model.keys.sorted(by: ByteOrder.less))
            for key in model.keys { map.removeValue(forKey: key) }
            map.checkInvariants()
            XCTAssertEqual(map.count, 0)
        }
    }

    func testByteOrderIsUnsignedLexicographic() {
        XCTAssertTrue(ByteOrder.less([], [0]))
        XCTAssertTrue(ByteOrder.less([1], [1, 0]))
        XCTAssertTrue(ByteOrder.less([0x7f], [0x80]))
        XCTAssertTrue(ByteOrder.less([1, 0xff], [2]))
        XCTAssertEqual(ByteOrder.compare([3, 4], [3, 4]), 0)
        XCTAssertEqual(ByteOrder.compare([3, 5], [3, 4]), 1)
    }
}
