import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import XCTest
@testable import EtcdServer

final class HeapTrimmerTests: XCTestCase {
    func testConnectionsClosingTogetherShareOneTrim() {
        let loop = EmbeddedEventLoop()
        let trims = NIOLockedValueBox(0)
        let trimmer = HeapTrimmer(loop: loop, delay: .milliseconds(200)) { trims.withLockedValue { $0 += 1 } }

        for _ in 0..<3 { trimmer.connectionClosed() }
        loop.advanceTime(by: .milliseconds(199))
        XCTAssertEqual(trims.withLockedValue { $0 }, 0, "not before the delay")
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(trims.withLockedValue { $0 }, 1)

        trimmer.connectionClosed()
        loop.advanceTime(by: .milliseconds(200))
        XCTAssertEqual(trims.withLockedValue { $0 }, 2, "a later close trims again")
        loop.advanceTime(by: .seconds(5))
        XCTAssertEqual(trims.withLockedValue { $0 }, 2, "and nothing else does")
    }
}
