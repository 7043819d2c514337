// Reads the FileDescriptorSet protoc writes for Protos/*.proto: the field names, numbers and types
// the codec is checked against. Field numbers of descriptor.proto are public protobuf facts.

@testable import EtcdWire

/// A decoded descriptor record; these are only ever read, never written.
protocol DescriptorRecord: WireMessage {}
extension DescriptorRecord {
    func encode<S: ProtoSink>(to sink: inout S) {}
}

struct FieldDescriptor: DescriptorRecord {
    static let repeatedLabel: Int64 = 3
    var name = ""
    var number: Int64 = 0
    var label: Int64 = 0
    var type: Int64 = 0
    var typeName = ""
    var oneofIndex: Int64?

    var isRepeated: Bool { label == Self.repeatedLabel }
    /// The referenced message or enum, without the leading dot.
    var referencedType: String { String(typeName.drop(while: { $0 == "." })) }

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 3: number = try reader.int64(tag)
            case 4: label = try reader.int64(tag)
            case 5: type = try reader.int64(tag)
            case 6: typeName = try reader.string(tag)
            case 9: oneofIndex = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }
}

struct OneofDescriptor: DescriptorRecord {
    var name = ""

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            if tag.number == 1 { name = try reader.string(tag) } else { try reader.skip(tag) }
        }
    }
}

struct EnumValueDescriptor: DescriptorRecord {
    var name = ""
    var number: Int64 = 0

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: number = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }
}

struct EnumDescriptor: DescriptorRecord {
    var name = ""
    var values: [EnumValueDescriptor] = []

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: values.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }
}

struct MessageDescriptor: DescriptorRecord {
    var name = ""
    var fields: [FieldDescriptor] = []
    var nested: [MessageDescriptor] = []
    var enums: [EnumDescriptor] = []
    var oneofs: [OneofDescriptor] = []

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: name = try reader.string(tag)
            case 2: fields.append(try reader.message(tag))
            case 3: nested.append(try reader.message(tag))
            case 4: enums.append(try reader.message(tag))
            case 8: oneofs.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }
}

struct FileDescriptor: DescriptorRecord {
    var package = ""
    var messages: [MessageDescriptor] = []
    var enums: [EnumDescriptor] = []

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 2: package = try reader.string(tag)
            case 4: messages.append(try reader.message(tag))
            case 5: enums.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }
}

struct FileDescriptorSet: DescriptorRecord {
    var files: [FileDescriptor] = []

    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            if tag.number == 1 { files.append(try reader.message(tag)) } else { try reader.skip(tag) }
        }
    }
}

/// Every message and enum of a descriptor set, by full name ("etcdserverpb.RangeRequest").
struct DescriptorRegistry {
    private(set) var messages: [String: MessageDescriptor] = [:]
    private(set) var enums: [String: [String: Int64]] = [:]

    init(_ set: FileDescriptorSet) {
        for file in set.files where file.package != "google.protobuf" {
            for message in file.messages { add(message, prefix: file.package) }
            for descriptor in file.enums { addEnum(descriptor, prefix: file.package) }
        }
    }

    private mutating func add(_ message: MessageDescriptor, prefix: String) {
        let name = "\(prefix).\(message.name)"
        messages[name] = message
        for nested in message.nested { add(nested, prefix: name) }
        for descriptor in message.enums { addEnum(descriptor, prefix: name) }
    }

    private mutating func addEnum(_ descriptor: EnumDescriptor, prefix: String) {
        enums["\(prefix).\(descriptor.name)"] = Dictionary(uniqueKeysWithValues: descriptor.values.map { ($0.name, $0.number) })
    }
}
