// Gen: a seeded random generator of protobuf field values that favours boundary cases.

import Foundation
@testable import EtcdWire

struct Gen {
    private var state: UInt64
    /// Current nesting of recursive messages (Txn in Txn), to keep samples finite.
    var depth = 0

    init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// True once in `n` draws.
    mutating func oneIn(_ n: Int) -> Bool {
        below(n) == 0
    }

    mutating func bool() -> Bool {
        oneIn(2)
    }

    private static let interesting: [UInt64] = [
        0, 1, 127, 128, 255, 16_383, 16_384, 1 << 31, 1 << 32, (1 << 35) - 1, 1 << 56,
        UInt64(Int64.max), UInt64(bitPattern: Int64.min), UInt64.max, UInt64(bitPattern: -2),
    ]

    mutating func uint64() -> UInt64 {
        switch below(4) {
        case 0: return 0
        case 1: return Self.interesting[below(Self.interesting.count)]
        case 2: return next() % 1000
        default: return next() >> UInt64(below(64))
        }
    }

    mutating func int64() -> Int64 {
        Int64(bitPattern: uint64())
    }

    mutating func uint32() -> UInt32 {
        UInt32(truncatingIfNeeded: uint64())
    }

    /// Mostly declared values, sometimes unknown ones (which proto3 keeps), negatives included.
    mutating func enumValue<E: ProtoEnum>(_ type: E.Type = E.self) -> E {
        let unknown: [Int32] = [7, 99, -1, Int32.min, Int32.max]
        return E(rawValue: oneIn(6) ? unknown[below(unknown.count)] : Int32(below(3)))
    }

    mutating func bytes() -> [UInt8] {
        switch below(4) {
        case 0: return []
        case 1: return (0..<below(300)).map { _ in UInt8(truncatingIfNeeded: next()) }
        default: return (0..<below(12)).map { _ in UInt8(truncatingIfNeeded: next()) }
        }
    }

    private static let characters: [Character] = [
        "a", "b", "z", "0", "/", " ", "-", "\"", "\\", "'", "\n", "\t", "\u{0}", "\u{7F}", "é", "ß", "日", "本", "🙂", "\u{10FFFF}",
    ]

    mutating func string() -> String {
        guard !oneIn(4) else { return "" }
        return String((0..<below(16)).map { _ in Self.characters[below(Self.characters.count)] })
    }

    mutating func optional<T>(_ make: (inout Gen) -> T) -> T? {
        oneIn(3) ? nil : make(&self)
    }

    mutating func array<T>(max: Int = 4, _ make: (inout Gen) -> T) -> [T] {
        (0..<below(max + 1)).map { _ in make(&self) }
    }
}

/// A fresh seed per run, or the one in `ETCDWIRE_SEED` to replay a failure.
func testSeed() -> UInt64 {
    if let text = ProcessInfo.processInfo.environment["ETCDWIRE_SEED"], let seed = UInt64(text) {
        return seed
    }
    return UInt64.random(in: 0...UInt64.max)
}
