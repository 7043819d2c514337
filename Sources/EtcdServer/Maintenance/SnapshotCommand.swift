#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `swift-etcd snapshot restore|status`: etcdctl's offline snapshot commands, for the backup
/// files `etcdctl snapshot save` downloads from swift-etcd (etcdctl's own restore and status
/// read only etcd's bolt files). Saving needs no command of ours: `etcdctl snapshot save` works
/// against a swift-etcd member as it is.
public enum SnapshotCommand {
    public static let usage = """
        Usage:
          swift-etcd snapshot restore <file> [--data-dir DIR] [--name NAME] [--initial-cluster NAME=URL,...]
                                             [--initial-cluster-token TOKEN] [--initial-advertise-peer-urls URL,...]
          swift-etcd snapshot status <file> [-w simple|table|json]

        Files come from `etcdctl snapshot save <file>` run against a swift-etcd member.
        restore creates a new data directory holding the file's keys and leases, with a new
        membership from the flags (defaults as etcdctl's); restore the same file on every member,
        then start each with --initial-cluster-state new.
        """

    /// Runs the command given the arguments after `snapshot`; prints as etcdctl does and
    /// returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 {
        if arguments.first == "help" || arguments.contains("-h") || arguments.contains("--help") {
            print(usage)
            return 0
        }
        do {
            switch arguments.first {
            case "restore":
                print(try SnapshotRestore(arguments: Array(arguments.dropFirst())).run())
            case "status":
                print(try SnapshotStatusCommand(arguments: Array(arguments.dropFirst())).run())
            case "save":
                throw CommandError("save with etcdctl: `etcdctl --endpoints <swift-etcd client URL> snapshot save <file>`")
            default:
                throw CommandError("expected restore or status\n\(usage)")
            }
            return 0
        } catch {
            fputs("Error: \(error)\n", stderr)
            return 1
        }
    }
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A subcommand's arguments in pflag's syntax (`--flag value`, `--flag=value`, `-f value`):
/// one positional argument, and values for the flags it knows.
struct CommandArguments {
    var positional: String
    var values: [String: String] = [:]

    /// `flags` are the long names; `shorthands` maps a one-letter name to its long name.
    init(_ arguments: [String], flags: Set<String>, shorthands: [String: String] = [:]) throws {
        var positionals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument != "-" else {
                positionals.append(argument)
                continue
            }
            let body = argument.drop { $0 == "-" }
            let (rawName, inline) = body.firstIndex(of: "=").map { (body[..<$0], Optional(String(body[body.index(after: $0)...]))) }
                ?? (body, nil)
            guard let name = argument.hasPrefix("--") ? String(rawName) : shorthands[String(rawName)], flags.contains(name) else {
                throw CommandError("unknown flag: \(argument)")
            }
            if let inline {
                values[name] = inline
            } else {
                guard index < arguments.count else { throw CommandError("flag needs an argument: \(argument)") }
                values[name] = arguments[index]
                index += 1
            }
        }
        guard positionals.count == 1 else {
            throw CommandError("expected exactly one snapshot file, got \(positionals.count) arguments")
        }
        positional = positionals[0]
    }
}
