/// Where the WAL and the snapshots live inside a data directory (docs/storage-format.md).
struct DataDirectoryLayout {
    let dataDirectory: String

    init(dataDirectory: String) {
        var trimmed = dataDirectory
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.dataDirectory = trimmed
    }

    static let walRelativePath = "member/wal"
    static let snapRelativePath = "member/snap"

    var memberDirectory: String { dataDirectory + "/member" }
    var walDirectory: String { dataDirectory + "/" + Self.walRelativePath }
    var snapDirectory: String { dataDirectory + "/" + Self.snapRelativePath }

    func walPath(_ name: String) -> String { walDirectory + "/" + name }
    func snapPath(_ name: String) -> String { snapDirectory + "/" + name }

    /// How errors name a segment: relative to the data directory, the same on every machine.
    func walLabel(_ name: String) -> String { Self.walRelativePath + "/" + name }
    func snapLabel(_ name: String) -> String { Self.snapRelativePath + "/" + name }
}

/// A temporary file's name: the final name plus this suffix until it is complete and renamed.
let temporaryFileSuffix = ".tmp"

/// `<sequence>-<first index>.wal`, both 16 lowercase hex digits.
struct SegmentName: Hashable, Comparable, CustomStringConvertible {
    var sequence: UInt64
    /// One more than the last saved index when this segment was started (0 for segment 0).
    var firstIndex: UInt64

    init(sequence: UInt64, firstIndex: UInt64) {
        self.sequence = sequence
        self.firstIndex = firstIndex
    }

    init?(parsing name: String) {
        guard let (sequence, firstIndex) = parseHexPair(name, suffix: ".wal") else { return nil }
        self.init(sequence: sequence, firstIndex: firstIndex)
    }

    var description: String { hex16(sequence) + "-" + hex16(firstIndex) + ".wal" }

    static func < (left: SegmentName, right: SegmentName) -> Bool { left.sequence < right.sequence }
}

/// `<term>-<index>.snap`, both 16 lowercase hex digits.
struct SnapshotFileName: Hashable, CustomStringConvertible {
    var term: UInt64
    var index: UInt64

    init(term: UInt64, index: UInt64) {
        self.term = term
        self.index = index
    }

    init?(parsing name: String) {
        guard let (term, index) = parseHexPair(name, suffix: ".snap") else { return nil }
        self.init(term: term, index: index)
    }

    var description: String { hex16(term) + "-" + hex16(index) + ".snap" }

    /// Newer snapshots sort later: by index, then term.
    static func isOlder(_ left: SnapshotFileName, than right: SnapshotFileName) -> Bool {
        (left.index, left.term) < (right.index, right.term)
    }
}

func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// Parses `<16 hex>-<16 hex><suffix>`, accepting only the exact form `hex16` writes.
private func parseHexPair(_ name: String, suffix: String) -> (UInt64, UInt64)? {
    let utf8 = Array(name.utf8)
    let suffixBytes = Array(suffix.utf8)
    guard utf8.count == 33 + suffixBytes.count, utf8[16] == UInt8(ascii: "-"),
          Array(utf8[33...]) == suffixBytes else { return nil }
    func parse(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }
    guard let first = parse(utf8[0..<16]), let second = parse(utf8[17..<33]) else { return nil }
    return (first, second)
}
