/// Parses Go duration strings (`90s`, `1h30m`, `500ms`) as etcd's flags accept them.
enum GoDuration {
    static func seconds(_ text: String) -> Double? {
        guard !text.isEmpty else { return nil }
        if text == "0" { return 0 }
        var total = 0.0
        var rest = Substring(text)
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return total
    }
}
