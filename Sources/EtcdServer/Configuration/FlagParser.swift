/// Reads etcd-style flags (Go `flag` package syntax) and their `ETCD_*` environment forms.
///
/// Accepted forms: `-flag value`, `--flag value`, `-flag=value`, `--flag=value`; a boolean flag
/// alone means true and takes a value only after `=`. A flag given both on the command line
/// and in the environment is an error, as in etcd, because the operator cannot tell which wins.
struct ParsedFlags: Sendable {
    /// Raw values of every flag that was given, by flag name.
    var values: [String: String] = [:]
    var showVersion = false
    var showHelp = false
    /// Non-fatal remarks (unknown ETCD_* variables) to log once logging is set up.
    var warnings: [String] = []

    func value(_ name: String) -> String {
        values[name] ?? FlagTable.spec(named: name)?.defaultValue ?? ""
    }

    func isSet(_ name: String) -> Bool { values[name] != nil }
}

struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    let description: String
    init(_ description: String) { self.description = description }
}

enum FlagParser {
    static func parse(arguments: [String], environment: [String: String]) throws -> ParsedFlags {
        var parsed = ParsedFlags()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                throw ConfigurationError("'\(argument)' is not a valid flag")
            }
            if argument == "--" {
                if index < arguments.count { throw ConfigurationError("'\(arguments[index])' is not a valid flag") }
                break
            }
            let body = argument.hasPrefix("--") ? String(argument.dropFirst(2)) : String(argument.dropFirst())
            let name: String
            var inlineValue: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inlineValue = String(body[body.index(after: equals)...])
            } else {
                name = body
            }
            switch name {
            case "version":
                parsed.showVersion = true
                continue
            case "h", "help":
                parsed.showHelp = true
                continue
            default:
                break
            }
            guard let spec = FlagTable.spec(named: name) else {
                throw ConfigurationError("flag provided but not defined: -\(name)")
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if spec.kind == .bool {
                value = "true"
            } else {
                guard index < arguments.count else { throw ConfigurationError("flag needs an argument: -\(name)") }
                value = arguments[index]
                index += 1
            }
            try checkKind(spec, value)
            parsed.values[name] = value
        }
        try mergeEnvironment(environment, into: &parsed)
        return parsed
    }

    private static func mergeEnvironment(_ environment: [String: String], into parsed: inout ParsedFlags) throws {
        let known = Dictionary(uniqueKeysWithValues: FlagTable.all.map { ($0.environmentName, $0) })
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("ETCD_") {
            guard let spec = known[variable] else {
                parsed.warnings.append("unrecognized environment variable \(variable)=\(value)")
                continue
            }
            if parsed.values[spec.name] != nil {
                throw ConfigurationError("conflicting environment variable \"\(variable)\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)")
            }
            do {
                try checkKind(spec, value)
            } catch {
                throw ConfigurationError("invalid value \"\(value)\" for environment variable \(variable): \(error)")
            }
            parsed.values[spec.name] = value
        }
    }

    private static func checkKind(_ spec: FlagSpec, _ value: String) throws {
        switch spec.kind {
        case .string:
            return
        case .bool:
            guard parseBool(value) != nil else {
                throw ConfigurationError("invalid boolean value \"\(value)\" for -\(spec.name)")
            }
        case .int:
            guard Int64(value) != nil else {
                throw ConfigurationError("invalid value \"\(value)\" for flag -\(spec.name): parse error")
            }
        case .uint:
            guard UInt64(value) != nil else {
                throw ConfigurationError("invalid value \"\(value)\" for flag -\(spec.name): parse error")
            }
        }
    }

    /// The spellings Go's strconv.ParseBool accepts.
    static func parseBool(_ value: String) -> Bool? {
        switch value {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }
}
