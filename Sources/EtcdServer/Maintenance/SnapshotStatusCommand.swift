import WAL

/// `swift-etcd snapshot status <file> [-w simple|table|json]`: etcdctl's `snapshot status`,
/// printed the same way, for a backup file of swift-etcd.
struct SnapshotStatusCommand {
    enum Format: String { case simple, table, json }

    let path: String
    let format: Format

    init(arguments: [String]) throws {
        let parsed = try CommandArguments(arguments, flags: ["write-out"], shorthands: ["w": "write-out"])
        path = parsed.positional
        let name = parsed.values["write-out"] ?? Format.simple.rawValue
        guard let format = Format(rawValue: name) else {
            throw CommandError("unsupported output format \"\(name)\" (simple, table or json)")
        }
        self.format = format
    }

    func run() throws -> String {
        let summary: BackupSummary
        do {
            summary = try BackupSummary(try BackupFile.decode(try PosixFileSystem().readFile(atPath: path)))
        } catch {
            throw CommandError("snapshot file \(path): \(error)")
        }
        return Self.render(summary, as: format)
    }

    static func render(_ summary: BackupSummary, as format: Format) -> String {
        let cells = [hex32(summary.hash), "\(summary.revision)", "\(summary.totalKeys)", siBytes(UInt64(summary.totalSize))]
        switch format {
        case .simple:
            return cells.joined(separator: ", ")
        case .json:
            return "{\"hash\":\(summary.hash),\"revision\":\(summary.revision),\"totalKey\":\(summary.totalKeys),\"totalSize\":\(summary.totalSize)}"
        case .table:
            return table(header: ["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"], row: cells)
        }
    }

    /// etcdctl's table (tablewriter): headers centred, cells right-aligned, one space of margin.
    private static func table(header: [String], row: [String]) -> String {
        let widths = zip(header, row).map { max($0.count, $1.count) }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
        func line(_ cells: [String], _ pad: (String, Int) -> String) -> String {
            "|" + zip(cells, widths).map { " " + pad($0, $1) + " |" }.joined()
        }
        let centred = line(header) { text, width in
            let gap = width - text.count
            return String(repeating: " ", count: gap / 2) + text + String(repeating: " ", count: gap - gap / 2)
        }
        let right = line(row) { text, width in String(repeating: " ", count: width - text.count) + text }
        return [rule, centred, rule, right, rule].joined(separator: "\n")
    }

    /// go-humanize's `Bytes`, which etcdctl prints sizes with: SI units, one decimal below 10.
    static func siBytes(_ bytes: UInt64) -> String {
        if bytes < 10 { return "\(bytes) B" }
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var exponent = 0
        var scale: UInt64 = 1
        while exponent < units.count - 1, bytes / scale >= 1000 {
            scale *= 1000
            exponent += 1
        }
        // Rounded to tenths, half up, as humanize does before formatting.
        let tenths = UInt64((Double(bytes) / Double(scale) * 10 + 0.5).rounded(.down))
        if tenths < 100 { return "\(tenths / 10).\(tenths % 10) \(units[exponent])" }
        // Go's %.0f rounds the remaining half to even.
        var whole = tenths / 10
        if tenths % 10 > 5 || (tenths % 10 == 5 && whole % 2 == 1) { whole += 1 }
        return "\(whole) \(units[exponent])"
    }
}
