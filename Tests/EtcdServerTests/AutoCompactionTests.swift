@testable import EtcdServer
import EtcdWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// etcd 3.4's automatic compactors (`etcdserver/api/v3compactor`): when they compact and at
/// which revision, with a made-up clock; and the compactor proposing through a real event loop.
final class AutoCompactionTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    /// Runs the compactor's loop for `steps` waits: the revision grows by one per wait, every
    /// compaction succeeds. Returns (seconds since start, revision) of each compaction.
    private func run(_ schedule: inout some CompactionSchedule, steps: Int, revisionAtStart: Int64 = 100) -> [(Double, Int64)] {
        var now = start
        var revision = revisionAtStart
        var compactions: [(Double, Int64)] = []
        for _ in 0..<steps {
            schedule.willWait(currentRevision: revision)
            now = now + schedule.interval
            revision += 1
            if let due = schedule.due(now: now, currentRevision: revision) {
                compactions.append((Double((now - start).nanoseconds) / 1e9, due))
                schedule.compacted(at: due, now: now)
            }
        }
        return compactions
    }

    func testPeriodicWaitsOneRetentionThenCompactsWhatIsThatOld() {
        var schedule = PeriodicCompactionSchedule(period: .seconds(10), startedAt: start)
        XCTAssertEqual(schedule.interval, .seconds(1))
        let compactions = run(&schedule, steps: 35)
        XCTAssertEqual(compactions.map(\.0), [10, 20, 30])
        // Revisions are remembered before each one-second wait and 11 are kept: the oldest is
        // from eleven seconds before, as in etcd's loop.
        XCTAssertEqual(compactions.map(\.1), [100, 109, 119])
    }

    func testPeriodicAboveAnHourCompactsHourlyKeepingTheRetention() {
        var schedule = PeriodicCompactionSchedule(period: .hours(2), startedAt: start)
        XCTAssertEqual(schedule.interval, .minutes(6))
        let compactions = run(&schedule, steps: 41)
        XCTAssertEqual(compactions.map(\.0), [7200, 10800, 14400])
        // 21 revisions remembered, one before each 6-minute wait: the oldest is from 2 h 6 min before.
        XCTAssertEqual(compactions.map(\.1), [100, 109, 119])
    }

    func testPeriodicRetriesAFailureAfterATenth() {
        var schedule = PeriodicCompactionSchedule(period: .seconds(10), startedAt: start)
        for _ in 0..<10 { schedule.willWait(currentRevision: 5) }
        XCTAssertEqual(schedule.due(now: start + .seconds(10), currentRevision: 5), 5)
        // Not reported as compacted: due again on the next look.
        schedule.willWait(currentRevision: 6)
        XCTAssertEqual(schedule.due(now: start + .seconds(11), currentRevision: 6), 5)
        schedule.compacted(at: 5, now: start + .seconds(11))
        schedule.willWait(currentRevision: 7)
        XCTAssertNil(schedule.due(now: start + .seconds(12), currentRevision: 7))
    }

    func testRevisionKeepsTheLastRevisions() {
        var schedule = RevisionCompactionSchedule(keep: 10)
        XCTAssertEqual(schedule.interval, .minutes(5))
        XCTAssertNil(schedule.due(now: start, currentRevision: 10), "nothing to compact yet")
        XCTAssertEqual(schedule.due(now: start, currentRevision: 25), 15)
        schedule.compacted(at: 15, now: start)
        XCTAssertNil(schedule.due(now: start, currentRevision: 25), "already compacted there")
        XCTAssertEqual(schedule.due(now: start, currentRevision: 26), 16)
    }

    func testPolicyParsesAsEtcd() throws {
        XCTAssertNil(try AutoCompactionPolicy.parse(mode: "periodic", retention: "0"))
        XCTAssertNil(try AutoCompactionPolicy.parse(mode: "revision", retention: "0"))
        XCTAssertEqual(try AutoCompactionPolicy.parse(mode: "periodic", retention: "1"), .periodic(retention: .hours(1)))
        XCTAssertEqual(try AutoCompactionPolicy.parse(mode: "periodic", retention: "30m"), .periodic(retention: .minutes(30)))
        XCTAssertEqual(try AutoCompactionPolicy.parse(mode: "periodic", retention: "1.5s"), .periodic(retention: .milliseconds(1500)))
        XCTAssertEqual(try AutoCompactionPolicy.parse(mode: "revision", retention: "1000"), .revision(retention: 1000))
        XCTAssertEqual(try AutoCompactionPolicy.parse(mode: "revision", retention: "1m"), .revision(retention: 60_000_000_000),
                       "etcd takes a duration in revision mode as nanoseconds")
        for (mode, retention) in [("periodic", "1x"), ("periodic", "-1"), ("revision", "-5"), ("hourly", "1")] {
            XCTAssertThrowsError(try AutoCompactionPolicy.parse(mode: mode, retention: retention), "\(mode) \(retention)")
        }
    }

    func testConfigurationFlags() throws {
        guard case .run(let configuration) = try ServerConfiguration.invocation(arguments: [
            "--auto-compaction-mode", "revision", "--auto-compaction-retention", "10", "--quota-backend-bytes", "9000000000",
            "--experimental-initial-corrupt-check", "--experimental-corrupt-check-time", "3m",
        ], environment: [:]) else { return XCTFail("not a run") }
        XCTAssertEqual(configuration.autoCompaction, .revision(retention: 10))
        XCTAssertEqual(configuration.quotaBackendBytes, 9_000_000_000)
        XCTAssertTrue(configuration.warnings.contains { $0.hasPrefix("quota exceeds the maximum value") })
        XCTAssertTrue(configuration.initialCorruptCheck)
        XCTAssertEqual(configuration.corruptCheckInterval, .minutes(3))
        XCTAssertEqual(configuration.acceptedButInactive, [])

        guard case .run(let defaults) = try ServerConfiguration.invocation(arguments: [], environment: [:]) else { return XCTFail("not a run") }
        XCTAssertNil(defaults.autoCompaction)
        XCTAssertEqual(defaults.quotaBackendBytes, 0)
        XCTAssertFalse(defaults.initialCorruptCheck)
        XCTAssertNil(defaults.corruptCheckInterval)
    }

    /// Revision mode with a short interval: only the leader proposes, at current − retention,
    /// and not twice at the same revision.
    func testCompactorProposesOnlyWhileLeading() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let state = NIOLockedValueBox((revision: Int64(25), leading: false, proposed: [Int64]()))
        let proposedTwice = expectation(description: "two compactions")
        let compactor = AutoCompactor(
            schedule: RevisionCompactionSchedule(keep: 10, interval: .milliseconds(20)), eventLoop: group.next(),
            currentRevision: { state.withLockedValue { $0.revision } },
            isLeader: { state.withLockedValue { $0.leading } },
            propose: { command, completion in
                guard case .compact(let request) = command else { return XCTFail("proposed \(command)") }
                let count = state.withLockedValue { state -> Int in
                    state.proposed.append(request.revision)
                    state.revision += 1
                    return state.proposed.count
                }
                completion(.success(.compact(CompactionResponse())))
                if count == 2 { proposedTwice.fulfill() }
            },
            logger: Logger(label: "test"))
        compactor.start()
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(state.withLockedValue { $0.proposed }, [], "a follower does not compact")
        state.withLockedValue { $0.leading = true }
        wait(for: [proposedTwice], timeout: 5)
        compactor.stop()
        XCTAssertEqual(Array(state.withLockedValue { $0.proposed }.prefix(2)), [15, 16])
    }
}
