import EtcdWire
import NIOConcurrencyHelpers
import Prometheus
import Synchronization

/// The gRPC counters of one method: `grpc_server_started_total` and, per status code,
/// `grpc_server_handled_total`, with the method's labels fixed.
///
/// A call only adds to an atomic count (no lock, no label strings, no registry lookup); the
/// counts are moved into the Prometheus registry when /metrics is scraped. A series is
/// registered the first time its count is non-zero, so /metrics lists the methods and codes
/// that occurred, as before.
final class GRPCMethodCounters: Sendable {
    private let service: String
    private let method: String
    private let type: String
    private let startedCount = AtomicCount()
    /// Counts per status code 0 ... 16, indexed by code.
    private let handledCounts: [AtomicCount]
    /// Codes outside the gRPC table (not expected; labelled "Code(n)" as grpc-go prints them).
    private let otherHandledCounts = NIOLockedValueBox([Int: Int]())
    /// What the registry has seen so far; touched only while publishing.
    private let published = NIOLockedValueBox(Published())

    private struct Published {
        var started: (counter: Counter?, count: Int) = (nil, 0)
        var handled: [Int: (counter: Counter, count: Int)] = [:]
    }

    init(service: String, method: String, type: String) {
        self.service = service
        self.method = method
        self.type = type
        handledCounts = (0 ... 16).map { _ in AtomicCount() }
    }

    /// Counts an RPC as started.
    func started() {
        startedCount.increment()
    }

    /// Counts an RPC as completed with a status code.
    func handled(code: Int) {
        if handledCounts.indices.contains(code) {
            handledCounts[code].increment()
        } else {
            otherHandledCounts.withLockedValue { $0[code, default: 0] += 1 }
        }
    }

    /// Adds what was counted since the last call to the registry's counters.
    func publish(to registry: PrometheusCollectorRegistry) {
        var handled: [(code: Int, count: Int)] = []
        for (code, count) in handledCounts.enumerated() {
            let value = count.value
            if value > 0 { handled.append((code, value)) }
        }
        handled += otherHandledCounts.withLockedValue { $0.map { (code: $0.key, count: $0.value) } }
        let started = startedCount.value
        published.withLockedValue { published in
            if started > published.started.count {
                let counter = published.started.counter ?? registry.makeCounter(
                    descriptor: .init(metricName: "grpc_server_started_total", unitName: "",
                                      helpText: "Total number of RPCs started on the server."),
                    labels: [("grpc_method", method), ("grpc_service", service), ("grpc_type", type)])
                counter.increment(by: Int64(started - published.started.count))
                published.started = (counter, started)
            }
            for (code, count) in handled {
                let previous = published.handled[code]
                guard count > previous?.count ?? 0 else { continue }
                let counter = previous?.counter ?? registry.makeCounter(
                    descriptor: .init(metricName: "grpc_server_handled_total", unitName: "",
                                      helpText: "Total number of RPCs completed on the server, regardless of success or failure."),
                    labels: [("grpc_code", GRPCStatusCode(rawValue: code)?.name ?? "Code(\(code))"),
                             ("grpc_method", method), ("grpc_service", service), ("grpc_type", type)])
                counter.increment(by: Int64(count - (previous?.count ?? 0)))
                published.handled[code] = (counter, count)
            }
        }
    }
}

/// A count that any thread may increment without a lock.
final class AtomicCount: Sendable {
    private let count = Atomic<Int>(0)

    func increment() {
        count.wrappingAdd(1, ordering: .relaxed)
    }

    var value: Int {
        count.load(ordering: .relaxed)
    }
}
