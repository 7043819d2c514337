// protoc as an independent oracle: it encodes random instances from text format (which our decoder
// must read back, and our encoder must reproduce byte for byte), and decodes our encodings.

import Foundation
import XCTest
@testable import EtcdWire

final class ProtocOracleTests: XCTestCase {
    private static let instancesPerType = 100

    private var protocURL: URL!
    private var workDirectory: URL!

    /// Finds protoc and writes the batch proto. A missing protoc fails the test: CI must install it.
    private func prepare() throws {
        guard let found = Protoc.locate() else {
            let message = "protoc is not in PATH; these tests need it (apt-get install protobuf-compiler)"
            XCTFail(message)
            throw OracleError(message)
        }
        protocURL = found
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("etcdwire-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        // A batch message with one repeated field per message type: one protoc run handles all instances.
        var batch = "syntax = \"proto3\";\npackage oracle;\n"
        for file in ["kv", "auth", "rpc", "v3lock", "v3election", "health"] {
            batch += "import \"\(file).proto\";\n"
        }
        batch += "message Batch {\n"
        for (index, kind) in allKinds.enumerated() {
            batch += "  repeated \(kind.protoName) m\(index + 1) = \(index + 1);\n"
        }
        batch += "}\n"
        try batch.write(to: workDirectory.appendingPathComponent("batch.proto"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        if let workDirectory { try? FileManager.default.removeItem(at: workDirectory) }
    }

    private func protoc(_ arguments: [String], input: Data = Data()) throws -> Data {
        let includes = ["-I", workDirectory.path, "-I", Protoc.protosDirectory.path]
        return try Protoc.run(protocURL, includes + arguments + ["batch.proto"], input: input, in: workDirectory)
    }

    private func registry() throws -> DescriptorRegistry {
        try prepare()
        let setPath = workDirectory.appendingPathComponent("set.pb").path
        _ = try protoc(["--include_imports", "--descriptor_set_out=\(setPath)"])
        let data = try Data(contentsOf: URL(fileURLWithPath: setPath))
        return DescriptorRegistry(try FileDescriptorSet(protobuf: [UInt8](data)))
    }

    func testEveryProtoMessageHasASwiftTypeAndViceVersa() throws {
        let registry = try registry()
        let swiftNames = Set(allKinds.map(\.protoName))
        let protoNames = Set(registry.messages.keys).subtracting(["oracle.Batch"])
        XCTAssertEqual(protoNames.subtracting(swiftNames), [], "messages in Protos/ without a Swift type")
        XCTAssertEqual(swiftNames.subtracting(protoNames), [], "Swift types missing from Protos/")
    }

    func testEnumConstantsMatchTheProtos() throws {
        let registry = try registry()
        let table: [String: [String: Int32]] = [
            "mvccpb.Event.EventType": ["PUT": EventType.put.rawValue, "DELETE": EventType.delete.rawValue],
            "etcdserverpb.RangeRequest.SortOrder": [
                "NONE": SortOrder.none.rawValue, "ASCEND": SortOrder.ascend.rawValue, "DESCEND": SortOrder.descend.rawValue,
            ],
            "etcdserverpb.RangeRequest.SortTarget": [
                "KEY": SortTarget.key.rawValue, "VERSION": SortTarget.version.rawValue, "CREATE": SortTarget.create.rawValue,
                "MOD": SortTarget.mod.rawValue, "VALUE": SortTarget.value.rawValue,
            ],
            "etcdserverpb.Compare.CompareResult": [
                "EQUAL": CompareResult.equal.rawValue, "GREATER": CompareResult.greater.rawValue,
                "LESS": CompareResult.less.rawValue, "NOT_EQUAL": CompareResult.notEqual.rawValue,
            ],
            "etcdserverpb.Compare.CompareTarget": [
                "VERSION": CompareTarget.version.rawValue, "CREATE": CompareTarget.create.rawValue,
                "MOD": CompareTarget.mod.rawValue, "VALUE": CompareTarget.value.rawValue, "LEASE": CompareTarget.lease.rawValue,
            ],
            "etcdserverpb.WatchCreateRequest.FilterType": ["NOPUT": FilterType.noPut.rawValue, "NODELETE": FilterType.noDelete.rawValue],
            "etcdserverpb.AlarmType": [
                "NONE": AlarmType.none.rawValue, "NOSPACE": AlarmType.noSpace.rawValue, "CORRUPT": AlarmType.corrupt.rawValue,
            ],
            "etcdserverpb.AlarmRequest.AlarmAction": [
                "GET": AlarmAction.get.rawValue, "ACTIVATE": AlarmAction.activate.rawValue,
                "DEACTIVATE": AlarmAction.deactivate.rawValue,
            ],
            "etcdserverpb.DowngradeRequest.DowngradeAction": [
                "VALIDATE": DowngradeAction.validate.rawValue, "ENABLE": DowngradeAction.enable.rawValue,
                "CANCEL": DowngradeAction.cancel.rawValue,
            ],
            "authpb.Permission.Type": [
                "READ": PermissionType.read.rawValue, "WRITE": PermissionType.write.rawValue,
                "READWRITE": PermissionType.readWrite.rawValue,
            ],
            "grpc.health.v1.HealthCheckResponse.ServingStatus": [
                "UNKNOWN": ServingStatus.unknown.rawValue, "SERVING": ServingStatus.serving.rawValue,
                "NOT_SERVING": ServingStatus.notServing.rawValue, "SERVICE_UNKNOWN": ServingStatus.serviceUnknown.rawValue,
            ],
        ]
        XCTAssertEqual(Set(registry.enums.keys), Set(table.keys))
        for (name, constants) in table {
            XCTAssertEqual(registry.enums[name], constants.mapValues { Int64($0) }, name)
        }
    }

    /// (a) protoc encodes our text rendering of random instances; we must decode exactly the
    /// instances and re-encode exactly protoc's bytes. (b) protoc decodes our encodings of the same
    /// instances without unknown fields, and re-encodes them to our bytes.
    func testProtocAndCodecAgree() throws {
        let seed = testSeed()
        let registry = try registry()
        let formatter = TextFormatter(registry: registry)
        var g = Gen(seed: seed)
        var instances: [[any Sampled]] = []
        var text = ""
        var ourBatch: [UInt8] = []
        for (index, kind) in allKinds.enumerated() {
            var samples: [any Sampled] = []
            for _ in 0..<Self.instancesPerType {
                let sample = kind.type.sample(&g)
                samples.append(sample)
                text += "m\(index + 1) { " + (try formatter.format(sample, as: kind.protoName)) + "}\n"
            }
            instances.append(samples)
        }
        for (index, samples) in instances.enumerated() {
            for sample in samples {
                let bytes = sample.protobuf()
                ourBatch += fieldKey(index + 1) + varint(UInt64(bytes.count)) + bytes
            }
        }

        // (a)
        let encoded = try protoc(["--encode=oracle.Batch"], input: Data(text.utf8))
        var seen = [Int](repeating: 0, count: allKinds.count)
        var failures = 0
        try ProtoReader.withReader([UInt8](encoded)[...]) { reader in
            while let tag = try reader.nextTag() {
                let index = tag.number - 1
                let payload = try reader.bytes(tag)
                guard allKinds.indices.contains(index), seen[index] < Self.instancesPerType else {
                    return XCTFail("protoc produced an unexpected batch field \(tag.number)")
                }
                let expected = instances[index][seen[index]]
                seen[index] += 1
                if !check(allKinds[index].type, payload, expected, seed: seed) {
                    failures += 1
                    guard failures < 10 else { return XCTFail("stopping after \(failures) disagreements") }
                }
            }
        }
        // Empty instances are empty messages and still count; none may be missing.
        XCTAssertEqual(seen, [Int](repeating: Self.instancesPerType, count: allKinds.count), "seed \(seed)")
        XCTAssertEqual([UInt8](encoded), ourBatch, "our batch differs from protoc's (seed \(seed))")

        // (b)
        let decodedText = try protoc(["--decode=oracle.Batch"], input: Data(ourBatch))
        let lines = String(decoding: decodedText, as: UTF8.self).split(separator: "\n")
        let unknown = lines.filter { $0.trimmingCharacters(in: .whitespaces).first?.isNumber == true }
        XCTAssertEqual(unknown, [], "protoc saw fields it does not know in our encoding (seed \(seed))")
        let reencoded = try protoc(["--encode=oracle.Batch"], input: decodedText)
        XCTAssertEqual([UInt8](reencoded), ourBatch, "protoc re-encoding of our bytes differs (seed \(seed))")
    }

    /// Compares one instance with protoc's encoding of it; false (after recording why) on disagreement.
    private func check<M: Sampled>(_ type: M.Type, _ payload: [UInt8], _ expected: any Sampled, seed: UInt64) -> Bool {
        guard let expected = expected as? M else {
            XCTFail("instance is not a \(M.self)")
            return false
        }
        do {
            let decoded = try M(protobuf: payload)
            guard decoded == expected else {
                XCTFail("\(M.self): decoding protoc's bytes gave \(decoded), expected \(expected) (seed \(seed))")
                return false
            }
        } catch {
            XCTFail("\(M.self): \(error) decoding protoc's bytes \(payload) (seed \(seed))")
            return false
        }
        guard expected.protobuf() == payload else {
            XCTFail("\(M.self): our encoding \(expected.protobuf()) differs from protoc's \(payload) (seed \(seed))")
            return false
        }
        return true
    }

    private func fieldKey(_ number: Int) -> [UInt8] {
        varint(UInt64(number << 3 | 2))
    }

    private func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }
}
