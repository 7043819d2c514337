// Prints Swift message values in protobuf text format, driven by protoc's descriptors.
//
// Swift properties are matched to proto fields by name (case and underscores ignored), so the
// printer also checks that every Swift property is a proto field of the right type and that
// every proto field has a Swift property.

struct TextFormatter {
    let registry: DescriptorRegistry

    private enum FieldType: Int64 {
        case int64 = 3, uint64 = 4, int32 = 5, bool = 8, string = 9, message = 11, bytes = 12, uint32 = 13, enumeration = 14
    }

    static func normalize(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "")
    }

    /// A oneof member matches an enum case by its name, or by its name without "request"/"response"
    /// (`request_delete_range` is `.deleteRange`, `create_request` is `.create`).
    private static func member(_ field: FieldDescriptor, matches caseLabel: String) -> Bool {
        let name = normalize(field.name)
        let label = normalize(caseLabel)
        return name == label
            || name.replacingOccurrences(of: "request", with: "").replacingOccurrences(of: "response", with: "") == label
    }

    private static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }

    func format(_ value: Any, as messageName: String) throws -> String {
        var out = ""
        try message(value, messageName, into: &out)
        return out
    }

    private func message(_ value: Any, _ messageName: String, into out: inout String) throws {
        guard let descriptor = registry.messages[messageName] else { throw OracleError("no descriptor for \(messageName)") }
        var covered = Set<Int64>()
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { throw OracleError("\(messageName): unlabelled property") }
            let key = Self.normalize(label)
            if let oneof = descriptor.oneofs.firstIndex(where: { Self.normalize($0.name) == key }) {
                let members = descriptor.fields.filter { $0.oneofIndex == Int64(oneof) }
                covered.formUnion(members.map(\.number))
                guard let chosen = Self.unwrap(child.value) else { continue }
                guard let choice = Mirror(reflecting: chosen).children.first, let caseLabel = choice.label,
                      let field = members.first(where: { Self.member($0, matches: caseLabel) })
                else { throw OracleError("\(messageName).\(label): case \(chosen) matches no oneof member") }
                try emit(field, choice.value, messageName, into: &out)
            } else if let field = descriptor.fields.first(where: { $0.oneofIndex == nil && Self.normalize($0.name) == key }) {
                covered.insert(field.number)
                if field.isRepeated {
                    guard Mirror(reflecting: child.value).displayStyle == .collection else {
                        throw OracleError("\(messageName).\(label) is repeated in the proto but not an array in Swift")
                    }
                    for element in Mirror(reflecting: child.value).children {
                        try emit(field, element.value, messageName, into: &out)
                    }
                } else if field.type == FieldType.message.rawValue {
                    guard Mirror(reflecting: child.value).displayStyle == .optional else {
                        throw OracleError("\(messageName).\(label) is a message field but not optional in Swift")
                    }
                    if let present = Self.unwrap(child.value) { try emit(field, present, messageName, into: &out) }
                } else {
                    try emit(field, child.value, messageName, into: &out)
                }
            } else {
                throw OracleError("Swift property \(messageName).\(label) has no proto field")
            }
        }
        let missing = descriptor.fields.filter { !covered.contains($0.number) }.map(\.name)
        guard missing.isEmpty else { throw OracleError("\(messageName): proto fields without a Swift property: \(missing)") }
    }

    private func emit(_ field: FieldDescriptor, _ value: Any, _ messageName: String, into out: inout String) throws {
        func mismatch() -> OracleError {
            OracleError("\(messageName).\(field.name): Swift value \(type(of: value)) does not fit proto type \(field.type)")
        }
        guard let type = FieldType(rawValue: field.type) else { throw OracleError("\(messageName).\(field.name): unexpected proto type \(field.type)") }
        out += field.name
        switch type {
        case .message:
            out += " { "
            try message(value, field.referencedType, into: &out)
            out += "} "
            return
        case .int64: guard let v = value as? Int64 else { throw mismatch() }; out += ": \(v)"
        case .uint64: guard let v = value as? UInt64 else { throw mismatch() }; out += ": \(v)"
        case .int32: guard let v = value as? Int32 else { throw mismatch() }; out += ": \(v)"
        case .uint32: guard let v = value as? UInt32 else { throw mismatch() }; out += ": \(v)"
        case .bool: guard let v = value as? Bool else { throw mismatch() }; out += ": \(v)"
        case .bytes: guard let v = value as? [UInt8] else { throw mismatch() }; out += ": " + Self.quote(v)
        case .string: guard let v = value as? String else { throw mismatch() }; out += ": " + Self.quote(Array(v.utf8))
        case .enumeration:
            guard registry.enums[field.referencedType] != nil,
                  let raw = Mirror(reflecting: value).children.first(where: { $0.label == "rawValue" })?.value as? Int32
            else { throw mismatch() }
            out += ": \(raw)"
        }
        out += " "
    }

    /// Every byte as a three-digit octal escape: unambiguous for bytes and UTF-8 alike.
    private static func quote(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            let octal = String(byte, radix: 8)
            text += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
        }
        return text + "\""
    }
}
