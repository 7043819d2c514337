@testable import GRPCTransport
import NIOCore
import XCTest

/// The small pure pieces: message framing, grpc-timeout, percent-encoding, protocol detection.
final class WireFormatTests: XCTestCase {
    func testDeframerHandlesSplitAndSharedMessages() throws {
        let stream: [UInt8] = [0, 0, 0, 0, 2, 0xAA, 0xBB, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xCC]
        for chunkSize in [1, 2, 3, 7, stream.count] {
            var deframer = GRPCMessageDeframer(maxMessageBytes: 16)
            var messages: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let end = min(start + chunkSize, stream.count)
                stream[start ..< end].withUnsafeBytes { deframer.append($0) }
                while let message = try deframer.nextMessage() {
                    messages.append(message)
                }
                start = end
            }
            XCTAssertEqual(messages, [[0xAA, 0xBB], [], [0xCC]], "chunk size \(chunkSize)")
            XCTAssertFalse(deframer.hasPartialMessage)
        }
    }

    func testDeframerTakingMessagesStraightFromTheInputMatchesBuffering() throws {
        let stream: [UInt8] = [0, 0, 0, 0, 2, 0xAA, 0xBB, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xCC]
        for chunkSize in [1, 2, 3, 5, 7, 8, stream.count] {
            var deframer = GRPCMessageDeframer(maxMessageBytes: 16)
            var messages: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let end = min(start + chunkSize, stream.count)
                try stream[start ..< end].withUnsafeBytes { chunk in
                    var input = chunk
                    while let message = try deframer.nextMessage(consuming: &input) {
                        messages.append(message)
                    }
                    XCTAssertEqual(input.count, 0, "nil only once the input is used up")
                }
                start = end
            }
            XCTAssertEqual(messages, [[0xAA, 0xBB], [], [0xCC]], "chunk size \(chunkSize)")
            XCTAssertFalse(deframer.hasPartialMessage)
        }
        var refusing = GRPCMessageDeframer(maxMessageBytes: 16)
        try ([0, 0, 0, 0, 1, 7, 1, 0, 0, 0, 1] as [UInt8]).withUnsafeBytes { chunk in
            var input = chunk
            XCTAssertEqual(try refusing.nextMessage(consuming: &input), [7])
            XCTAssertThrowsError(try refusing.nextMessage(consuming: &input)) {
                XCTAssertEqual($0 as? GRPCMessageDeframer.Failure, .compressed)
            }
        }
    }

    func testHeaderBytesComparisons() {
        for (value, expected) in [("application/grpc", true), ("application/grpc+proto", true), ("application/grpcx", false), ("", false)] {
            var text = value
            XCTAssertEqual(text.withUTF8 { GRPCServerConnection.isGRPCContentType(UnsafeRawBufferPointer($0)) }, expected, value)
        }
        var timeout = "250m"
        XCTAssertEqual(try timeout.withUTF8 { try GRPCTimeout.parse(UnsafeRawBufferPointer($0)) }, .milliseconds(250))
        XCTAssertThrowsError(try GRPCTimeout.parse("2x")) {
            XCTAssertEqual($0 as? GRPCTimeout.MalformedError, GRPCTimeout.MalformedError(value: "2x"))
        }
    }

    func testDeframerRefusesCompressedAndOversizeFromThePrefixAlone() {
        var compressed = GRPCMessageDeframer(maxMessageBytes: 16)
        ([1, 0, 0, 0, 1] as [UInt8]).withUnsafeBytes { compressed.append($0) }
        XCTAssertThrowsError(try compressed.nextMessage()) {
            XCTAssertEqual($0 as? GRPCMessageDeframer.Failure, .compressed)
        }
        var large = GRPCMessageDeframer(maxMessageBytes: 16)
        ([0, 0, 0, 0, 17] as [UInt8]).withUnsafeBytes { large.append($0) }
        XCTAssertThrowsError(try large.nextMessage()) {
            XCTAssertEqual($0 as? GRPCMessageDeframer.Failure, .tooLarge(length: 17, limit: 16))
        }
    }

    func testFramerWritesPrefix() {
        var buffer = ByteBuffer()
        GRPCMessageFramer.write([9, 8, 7], into: &buffer)
        XCTAssertEqual(Array(buffer.readableBytesView), [0, 0, 0, 0, 3, 9, 8, 7])
    }

    func testTimeoutUnits() throws {
        XCTAssertEqual(try GRPCTimeout.parse("1n"), .nanoseconds(1))
        XCTAssertEqual(try GRPCTimeout.parse("25u"), .microseconds(25))
        XCTAssertEqual(try GRPCTimeout.parse("300m"), .milliseconds(300))
        XCTAssertEqual(try GRPCTimeout.parse("5S"), .seconds(5))
        XCTAssertEqual(try GRPCTimeout.parse("2M"), .minutes(2))
        XCTAssertEqual(try GRPCTimeout.parse("1H"), .hours(1))
        XCTAssertEqual(try GRPCTimeout.parse("99999999H"), .nanoseconds(.max), "saturates instead of overflowing")
        for bad in ["", "S", "5", "5s", "123456789S", "-1S", "1.5S", " 1S"] {
            XCTAssertThrowsError(try GRPCTimeout.parse(bad), bad)
        }
    }

    func testPercentEncoding() {
        XCTAssertEqual(PercentEncoding.encodeGRPCMessage("plain text: ok"), "plain text: ok")
        XCTAssertEqual(PercentEncoding.encodeGRPCMessage("50%"), "50%25")
        XCTAssertEqual(PercentEncoding.encodeGRPCMessage("a\tb\r\n"), "a%09b%0D%0A")
        XCTAssertEqual(PercentEncoding.encodeGRPCMessage("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87")
        XCTAssertEqual(PercentEncoding.encodeGRPCMessage("~\u{7F}"), "~%7F")
    }

    func testProtocolDetectionNeedsOnlyAsManyBytesAsItTakes() {
        let preface = ProtocolSniffer.http2Preface
        XCTAssertEqual(ProtocolSniffer.detect(ByteBuffer(bytes: preface)), .http2)
        XCTAssertEqual(ProtocolSniffer.detect(ByteBuffer(bytes: preface + [0, 0, 0])), .http2)
        for length in 0 ..< preface.count {
            XCTAssertNil(ProtocolSniffer.detect(ByteBuffer(bytes: preface.prefix(length))), "undecided after \(length) bytes")
        }
        XCTAssertEqual(ProtocolSniffer.detect(ByteBuffer(bytes: Array("GET / HTTP/1.1\r\n".utf8))), .http1)
        XCTAssertEqual(ProtocolSniffer.detect(ByteBuffer(bytes: Array("PUT".utf8))), .http1, "differs at the second byte")
        XCTAssertEqual(ProtocolSniffer.detect(ByteBuffer(bytes: Array("PRI * HTTP/1.1".utf8))), .http1)
    }

    func testGRPCContentTypes() {
        for good in ["application/grpc", "application/grpc+proto", "application/grpc; charset=utf-8"] {
            XCTAssertTrue(GRPCServerConnection.isGRPCContentType(good), good)
        }
        for bad in ["", "application/json", "application/grpcx", "application/grpc-web", "text/plain"] {
            XCTAssertFalse(GRPCServerConnection.isGRPCContentType(bad), bad)
        }
    }
}
