import Foundation
import XCTest

/// Runs the deterministic simulation over many seeds. Environment:
/// - `RAFT_SIM_SEEDS`: how many seeds (default 2000); `RAFT_SIM_FIRST_SEED`: the first (default 1).
/// - `RAFT_SIM_STEPS`: fault steps per seed (default 500).
/// - `RAFT_SIM_TRACE=1`: print every step (use with one seed to study a failure).
final class SimulationTests: XCTestCase {
    private func setting(_ name: String, default value: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment[name].flatMap { UInt64($0) } ?? value
    }

    func testRandomizedFaultsKeepRaftSafeAndLive() {
        let firstSeed = setting("RAFT_SIM_FIRST_SEED", default: 1)
        let seeds = setting("RAFT_SIM_SEEDS", default: 2000)
        let steps = Int(setting("RAFT_SIM_STEPS", default: 500))
        let traceAll = ProcessInfo.processInfo.environment["RAFT_SIM_TRACE"] == "1"
        if traceAll {
            setvbuf(stdout, nil, _IOLBF, 0)  // Keep the trace up to a crash.
        }
        let started = Date()
        var failures = 0
        var stats = SimulationStats()
        for seed in firstSeed..<(firstSeed + seeds) {
            CrashReporter.currentSeed = seed
            let simulation = Simulation(seed: seed, traceAll: traceAll)
            do {
                try simulation.run(faultSteps: steps)
                stats = stats + simulation.stats
            } catch {
                failures += 1
                XCTFail("""
                    seed \(seed) failed at step \(simulation.step): \(error)
                    cluster: \(simulation.summary)
                    reproduce: RAFT_SIM_FIRST_SEED=\(seed) RAFT_SIM_SEEDS=1 RAFT_SIM_TRACE=1 swift test --filter SimulationTests
                    last steps:
                    \(simulation.recentActionsReport)
                    """)
                if failures >= 3 { break }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        print("raft simulation: \(seeds) seeds × \(steps) steps from seed \(firstSeed) in \(String(format: "%.1f", elapsed)) s, \(failures) failed")
        print("  exercised: \(stats.committedBeforeHealing) entries committed under faults, \(stats.termsWithLeader) terms with a leader, "
            + "\(stats.crashes) crashes losing \(stats.unsyncedWritesLost) unsynced writes, \(stats.snapshotsDelivered) snapshots delivered, "
            + "\(stats.confChangesApplied) membership changes applied, \(stats.readsAnswered) reads answered")
    }

    override func setUp() {
        CrashReporter.install()
    }
}

/// A failed precondition inside Raft kills the test process before XCTest can report; this
/// prints the seed that was running so the crash can be replayed.
enum CrashReporter {
    nonisolated(unsafe) static var currentSeed: UInt64 = 0
    nonisolated(unsafe) private static var installed = false

    static func install() {
        guard !installed else { return }
        installed = true
        for signalNumber in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV] {
            signal(signalNumber) { number in
                let text = "\nraft simulation crashed while running seed \(CrashReporter.currentSeed); "
                    + "reproduce with RAFT_SIM_FIRST_SEED=\(CrashReporter.currentSeed) RAFT_SIM_SEEDS=1\n"
                _ = text.withCString { write(2, $0, strlen($0)) }
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}
