import XCTest
@testable import Raft

/// The application contract: what a `Ready` holds, and what `advance` does with it.
final class RawNodeTests: XCTestCase {
    private func singleVoter() -> (RawNode, MemoryStorage) {
        let storage = MemoryStorage()
        try! storage.applySnapshot(.bootstrap(ConfState(voters: [1])))
        return (RawNode(config: RaftConfig(id: 1), storage: storage, random: SplitMix64(seed: 1)), storage)
    }

    /// Persists and applies one ready the way the contract says, returning it.
    @discardableResult
    private func handle(_ raw: RawNode, _ storage: MemoryStorage) -> Ready {
        let ready = raw.ready()
        storage.append(ready.entries)
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        raw.advance(ready)
        return ready
    }

    func testNewNodeHasNoWork() {
        let (raw, _) = singleVoter()
        XCTAssertFalse(raw.hasReady)
        XCTAssertEqual(raw.status.role, .follower)
        XCTAssertEqual(raw.status.commit, 1, "the bootstrap snapshot is committed")
    }

    func testEntriesCommitOnlyAfterTheLeaderPersistedThem() throws {
        let (raw, storage) = singleVoter()
        raw.campaign()
        let election = handle(raw, storage)
        XCTAssertEqual(election.softState, SoftState(leader: 1, role: .leader))
        XCTAssertEqual(election.entries.map(\.index), [2])
        XCTAssertEqual(election.committedEntries, [], "not committed before it is on disk")
        XCTAssertTrue(election.mustSync)
        let commit = handle(raw, storage)
        XCTAssertEqual(commit.committedEntries.map(\.index), [2])
        XCTAssertEqual(commit.hardState?.commit, 2)
        XCTAssertFalse(commit.mustSync, "only the commit index moved")
        XCTAssertEqual(raw.status.applied, 2)
        XCTAssertFalse(raw.hasReady)

        try raw.propose(Array("x".utf8))
        XCTAssertEqual(handle(raw, storage).entries.map(\.data), [Array("x".utf8)])
        XCTAssertEqual(handle(raw, storage).committedEntries.map(\.data), [Array("x".utf8)])
    }

    func testVoteIsInTheHardStateOfTheReadyThatSendsIt() {
        let storage = MemoryStorage()
        try! storage.applySnapshot(.bootstrap(ConfState(voters: [1, 2])))
        let raw = RawNode(config: RaftConfig(id: 1), storage: storage, random: SplitMix64(seed: 1))
        try! raw.step(Message(type: .vote, to: 1, from: 2, term: 1, logTerm: 1, index: 1))
        let ready = raw.ready()
        XCTAssertEqual(ready.hardState, HardState(term: 1, vote: 2, commit: 1))
        XCTAssertEqual(ready.messages.map(\.type), [.voteResp])
        XCTAssertTrue(ready.mustSync, "a vote must reach the disk before the answer leaves")
    }

    func testNodeMayBeSteppedBetweenReadyAndAdvance() throws {
        let (raw, storage) = singleVoter()
        raw.campaign()
        let ready = raw.ready()
        XCTAssertFalse(raw.hasReady, "no second ready before advance")
        try raw.propose([7])
        storage.append(ready.entries)
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        raw.advance(ready)
        XCTAssertEqual(handle(raw, storage).entries.map(\.index), [3], "the proposal made meanwhile")
    }

    func testRestartResumesFromPersistedState() throws {
        let (raw, storage) = singleVoter()
        raw.campaign()
        handle(raw, storage)
        try raw.propose([7])
        handle(raw, storage)
        handle(raw, storage)
        let restarted = RawNode(config: RaftConfig(id: 1, applied: 2), storage: storage, random: SplitMix64(seed: 2))
        XCTAssertEqual(restarted.status.hardState, HardState(term: 1, vote: 1, commit: 3))
        XCTAssertEqual(restarted.ready().committedEntries.map(\.data), [[7]], "only what was not applied before")
    }

    func testLocalMessageTypesAreRefusedFromTheNetwork() {
        let (raw, _) = singleVoter()
        for type in MessageType.allCases where type.isLocal {
            XCTAssertThrowsError(try raw.step(Message(type: type, to: 1, from: 2, term: 1))) {
                XCTAssertEqual($0 as? RaftError, .localMessageFromNetwork(type))
            }
        }
        XCTAssertEqual(raw.status.role, .follower)
    }

    func testStatusShowsProgressOnlyOnALeader() {
        let (raw, storage) = singleVoter()
        XCTAssertNil(raw.status.progress)
        raw.campaign()
        handle(raw, storage)
        handle(raw, storage)
        XCTAssertEqual(raw.status.progress?[1]?.match, 2)
        XCTAssertEqual(raw.status.leader, 1)
        XCTAssertEqual(raw.status.term, 1)
    }
}
