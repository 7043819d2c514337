/// The version of swift-etcd itself (the etcd API it speaks is `EtcdServer.serverVersion`).
public enum SwiftEtcdVersion {
    public static let current = "0.1.0"
}

extension ServerConfiguration {
    /// `--help` text, generated from the flag table so it never drifts from what is parsed.
    public static var usage: String {
        var lines = ["Usage: swift-etcd [flags]",
                     "       swift-etcd snapshot restore|status <file> ...   (backup files; swift-etcd snapshot --help)",
                     "", "Flags (each also settable as ETCD_<NAME> in the environment):"]
        for spec in FlagTable.all {
            let note = spec.support == .accepted ? " (accepted; no effect yet)" : ""
            let defaultText = spec.defaultValue.isEmpty ? "" : " (default \(spec.defaultValue))"
            lines.append("  --\(spec.name)")
            lines.append("      \(spec.help)\(defaultText)\(note)")
        }
        lines.append("  --version\n      Print the version and exit.")
        return lines.joined(separator: "\n")
    }
}
