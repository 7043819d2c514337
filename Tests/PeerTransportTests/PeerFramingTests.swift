import NIOCore
import NIOEmbedded
@testable import PeerTransport
import XCTest

/// The wire format on its own: frames, the hello, the refusal rules and peer URLs.
final class PeerFramingTests: XCTestCase {
    func testFramesRoundTrip() throws {
        var buffer = ByteBuffer()
        buffer.writePeerFrame(.message, payload: [1, 2, 3])
        buffer.writeRequestFrame(id: 7, kind: 2, payload: [9])
        buffer.writeResponseFrame(id: 7, reply: .failure("boom"))

        let message = try XCTUnwrap(PeerFrame.read(from: &buffer, maxPayloadBytes: 64))
        XCTAssertEqual(message.type, .message)
        XCTAssertEqual(Array(buffer: message.payload), [1, 2, 3])

        let request = try PeerRequestFrame(XCTUnwrap(PeerFrame.read(from: &buffer, maxPayloadBytes: 64)).payload)
        XCTAssertEqual([request.id, UInt64(request.kind)], [7, 2])
        XCTAssertEqual(request.payload, [9])

        let response = try PeerResponseFrame(XCTUnwrap(PeerFrame.read(from: &buffer, maxPayloadBytes: 64)).payload)
        XCTAssertEqual(response.id, 7)
        XCTAssertEqual(response.result, .failure(.remote("boom")))
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testIncompleteFrameLeavesBufferUntouched() throws {
        var whole = ByteBuffer()
        whole.writePeerFrame(.message, payload: [UInt8](repeating: 5, count: 10))
        var partial = whole.getSlice(at: 0, length: whole.readableBytes - 1)!
        XCTAssertNil(try PeerFrame.read(from: &partial, maxPayloadBytes: 64))
        XCTAssertEqual(partial.readableBytes, whole.readableBytes - 1)
    }

    func testOversizedFrameIsRefusedFromItsHeaderAlone() {
        // Only the 5-byte header of a 1 GiB frame: refused before any body is buffered.
        var buffer = ByteBuffer()
        buffer.writePeerFrameHeader(.message, payloadBytes: 1 << 30)
        XCTAssertThrowsError(try PeerFrame.read(from: &buffer, maxPayloadBytes: 1024)) { error in
            XCTAssertEqual(error as? PeerProtocolError, .frameTooLarge(length: 1 << 30, limit: 1024))
        }
    }

    func testUnknownFrameTypeIsRefused() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt8(200))
        XCTAssertThrowsError(try PeerFrame.read(from: &buffer, maxPayloadBytes: 64)) { error in
            XCTAssertEqual(error as? PeerProtocolError, .unknownFrameType(200))
        }
    }

    func testHelloRoundTrip() throws {
        let hello = PeerHello(kind: .snapshot, clusterID: 0xC1, senderID: 2, receiverID: 3)
        var buffer = ByteBuffer()
        buffer.writePeerHello(hello)
        XCTAssertEqual(buffer.readableBytes, PeerHello.preambleBytes + PeerHello.bodyBytes)
        var partial = buffer.getSlice(at: 0, length: 10)!
        XCTAssertNil(try PeerGreeting.read(from: &partial))
        XCTAssertEqual(try PeerGreeting.read(from: &buffer), .hello(hello))
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testStrangerIsRefusedFromItsFirstBytes() {
        var buffer = ByteBuffer(string: "GE")
        XCTAssertThrowsError(try PeerGreeting.read(from: &buffer)) { error in
            XCTAssertEqual(error as? PeerProtocolError, .notAPeer)
        }
    }

    func testNewerVersionIsAnsweredWithAReason() throws {
        var buffer = ByteBuffer()
        buffer.writeBytes(PeerHello.magic)
        buffer.writeInteger(UInt16(9))
        buffer.writeInteger(UInt16(3))
        buffer.writeBytes([1, 2, 3])
        guard case let .unsupported(reason) = try PeerGreeting.read(from: &buffer) else {
            return XCTFail("expected unsupported")
        }
        XCTAssertTrue(reason.contains("version 9"), reason)
    }

    func testRefusalRules() {
        let members: Set<UInt64> = [2]
        func refusal(_ hello: PeerHello) -> String? {
            hello.refusal(localID: 1, clusterID: 0xAA, isCurrentPeer: members.contains)
        }
        XCTAssertNil(refusal(PeerHello(kind: .messages, clusterID: 0xAA, senderID: 2, receiverID: 1)))
        XCTAssertEqual(refusal(PeerHello(kind: .messages, clusterID: 0xBB, senderID: 2, receiverID: 1)),
                       "cluster ID mismatch (local aa, remote bb)")
        XCTAssertEqual(refusal(PeerHello(kind: .snapshot, clusterID: 0xAA, senderID: 2, receiverID: 5)),
                       "addressed to member 5, but this is member 1")
        XCTAssertEqual(refusal(PeerHello(kind: .messages, clusterID: 0xAA, senderID: 9, receiverID: 1)),
                       "member 9 is not a current member of this cluster")
        // A joining member knows neither the cluster nor who answers, and is not a member yet.
        XCTAssertNil(refusal(PeerHello(kind: .anonymousRequest, clusterID: 0, senderID: 0, receiverID: 0)))
        XCTAssertNotNil(refusal(PeerHello(kind: .anonymousRequest, clusterID: 0xBB, senderID: 0, receiverID: 0)))
    }

    func testServerDecoderAppliesTheMessageLimitAfterTheHello() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerServerDecoder(maxMessageBytes: 16)))
        var input = ByteBuffer()
        input.writePeerHello(PeerHello(kind: .messages, clusterID: 1, senderID: 2, receiverID: 3))
        input.writePeerFrame(.message, payload: [UInt8](repeating: 1, count: 16))
        input.writePeerFrameHeader(.message, payloadBytes: 17)
        XCTAssertThrowsError(try channel.writeInbound(input)) { error in
            XCTAssertEqual(error as? PeerProtocolError, .frameTooLarge(length: 17, limit: 16))
        }
        guard case .greeting(.hello)? = try channel.readInbound(as: PeerServerInput.self) else {
            return XCTFail("expected the hello first")
        }
        guard case let .frame(frame)? = try channel.readInbound(as: PeerServerInput.self) else {
            return XCTFail("expected the 16-byte frame")
        }
        XCTAssertEqual(frame.payload.readableBytes, 16)
        _ = try? channel.finish()
    }

    func testPeerURLs() throws {
        let plain = try PeerURL(parsing: "http://10.0.0.1:2380")
        XCTAssertEqual([plain.host, String(plain.port)], ["10.0.0.1", "2380"])
        let v6 = try PeerURL(parsing: "http://[::1]:2380/")
        XCTAssertEqual([v6.host, String(v6.port)], ["::1", "2380"])
        for bad in ["https://a:1", "a:1", "http://a", "http://:1", "http://a:0", "http://a:x"] {
            XCTAssertThrowsError(try PeerURL(parsing: bad), bad)
        }
    }
}
