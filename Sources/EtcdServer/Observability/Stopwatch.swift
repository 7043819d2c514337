import NIOCore

/// Measures how long something took, on the monotonic clock, in seconds (the unit of etcd's
/// duration histograms).
struct Stopwatch {
    private let start = NIODeadline.now()

    var seconds: Double {
        Double((NIODeadline.now() - start).nanoseconds) / 1_000_000_000
    }
}
