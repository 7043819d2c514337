import Foundation
import NIOCore
import XCTest

struct TestTimeout: Error {}

/// Waits for `future`, failing instead of hanging if it doesn't complete within `timeout`.
func waitBounded<T: Sendable>(_ future: EventLoopFuture<T>, timeout: TimeAmount = .seconds(10)) throws -> T {
    let promise = future.eventLoop.makePromise(of: T.self)
    future.cascade(to: promise)
    let timer = future.eventLoop.scheduleTask(in: timeout) { promise.fail(TestTimeout()) }
    defer { timer.cancel() }
    return try promise.futureResult.wait()
}

/// The error `future` fails with (nil when it succeeds), waiting at most `timeout`.
func failure<T: Sendable>(of future: EventLoopFuture<T>, timeout: TimeAmount = .seconds(10)) throws -> Error? {
    do {
        _ = try waitBounded(future, timeout: timeout)
        return nil
    } catch is TestTimeout {
        throw TestTimeout()
    } catch {
        return error
    }
}

/// Polls `condition` until it holds; records a failure naming `what` if it doesn't within `timeout`.
@discardableResult
func waitUntil(_ what: String, timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line,
               _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else {
            XCTFail("timed out waiting until \(what)", file: file, line: line)
            return false
        }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return true
}

/// A message numbered `index`, so that order can be checked on arrival.
func numbered(_ index: Int, size: Int = 16) -> [UInt8] {
    var bytes = [UInt8](repeating: 0xAB, count: max(size, 4))
    withUnsafeBytes(of: UInt32(index).bigEndian) { bytes.replaceSubrange(0 ..< 4, with: $0) }
    return bytes
}

func numbers(_ messages: [[UInt8]]) -> [Int] {
    messages.map { Int($0[0]) << 24 | Int($0[1]) << 16 | Int($0[2]) << 8 | Int($0[3]) }
}

/// `byteCount` bytes in which every 4 KiB block starts with its own index, so a chunk that is
/// lost, repeated or moved shows. Built by doubling: a byte-by-byte loop is slow in debug builds.
func distinctBlocks(byteCount: Int) -> [UInt8] {
    let blockBytes = 4096
    var bytes = (0 ..< blockBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    while bytes.count < byteCount {
        bytes.append(contentsOf: bytes)
    }
    bytes.removeLast(bytes.count - byteCount)
    for block in 0 ..< (byteCount + blockBytes - 1) / blockBytes {
        withUnsafeBytes(of: UInt32(block).bigEndian) { index in
            let start = block * blockBytes
            let end = min(start + 4, byteCount)
            bytes.replaceSubrange(start ..< end, with: index.prefix(end - start))
        }
    }
    return bytes
}
