@testable import MVCC
import XCTest

/// The inline-then-spilled revision list against a plain array.
final class RevisionListTests: XCTestCase {
    func testBehavesAsAnArray() {
        var list = RevisionList()
        var model: [Revision] = []
        for main in Int64(2)...8 {
            list.append(rev(main))
            model.append(rev(main))
            XCTAssertEqual(Array(list), model)
            XCTAssertEqual(list, RevisionList(model))
        }
        while !model.isEmpty {
            XCTAssertEqual(list.removeLast(), model.removeLast())
            XCTAssertEqual(Array(list), model)
            XCTAssertEqual(list, RevisionList(model))
        }
        XCTAssertEqual(list, RevisionList())
    }

    func testRemoveFirst() {
        for count in 0...6 {
            let model = (0..<count).map { rev(Int64($0) + 2) }
            for dropped in 0...count {
                var list = RevisionList(model)
                list.removeFirst(dropped)
                XCTAssertEqual(Array(list), Array(model.dropFirst(dropped)), "\(dropped) of \(count)")
                XCTAssertEqual(list, RevisionList(model.dropFirst(dropped)))
            }
        }
    }
}
