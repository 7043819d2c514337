import NIOConcurrencyHelpers
import NIOCore

/// The accepted connections, so that shutdown can close them all and a membership change can
/// close those of members that were removed.
final class InboundConnections: Sendable {
    private struct Entry {
        let channel: Channel
        /// The member on the other end once its hello was accepted; nil for anonymous requests.
        var sender: UInt64?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var isClosed = false
    }

    private let state = NIOLockedValueBox(State())

    /// False once closed (the caller then closes `channel`).
    func add(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let added = state.withLockedValue { state in
            guard !state.isClosed else { return false }
            state.entries[id] = Entry(channel: channel)
            return true
        }
        if added {
            channel.closeFuture.whenComplete { _ in
                self.state.withLockedValue { _ = $0.entries.removeValue(forKey: id) }
            }
        }
        return added
    }

    func identify(_ channel: Channel, as sender: UInt64) {
        state.withLockedValue { $0.entries[ObjectIdentifier(channel)]?.sender = sender }
    }

    /// Closes the connections from members not in `members`.
    func closeAll(except members: Set<UInt64>) {
        let stale = state.withLockedValue { state in
            state.entries.values.filter { entry in entry.sender.map { !members.contains($0) } ?? false }
        }
        for entry in stale {
            entry.channel.close(promise: nil)
        }
    }

    /// Closes every connection and refuses new ones; the futures complete as they close.
    func closeAll() -> [EventLoopFuture<Void>] {
        let channels = state.withLockedValue { state in
            state.isClosed = true
            return state.entries.values.map(\.channel)
        }
        return channels.map { channel in
            channel.close(promise: nil)
            return channel.closeFuture
        }
    }
}
