import NIOCore

public struct PeerTransportConfiguration: Sendable {
    public var localID: UInt64
    public var clusterID: UInt64
    /// Largest frame accepted on the message channel (raft messages, requests). Default 64 MiB.
    public var maxMessageBytes: Int
    /// Largest snapshot accepted. Default 4 GiB (Int).
    public var maxSnapshotBytes: Int
    /// Reconnect backoff: starts at min, doubles up to max. Defaults 100 ms / 2 s.
    public var reconnectBackoffMin: TimeAmount
    public var reconnectBackoffMax: TimeAmount
    /// Messages queued for one peer while the connection is being made or the peer is slow;
    /// beyond this they are dropped and the handler hears `peerUnreachable`. (While the peer is
    /// known to be down nothing is queued.) Default 4096.
    public var maxQueuedMessages: Int
    /// How often a message connection is pinged (the pong gives `measuredRoundTrip`). Default 1 s.
    public var pingInterval: TimeAmount
    /// A message connection on which nothing has arrived (not even a pong) for this long is closed
    /// and dialled again; it catches peers that vanished without closing the socket. Default 5 s.
    public var unresponsiveTimeout: TimeAmount
    /// Limit for a TCP connect plus the handshake that follows it. Default 2 s.
    public var connectTimeout: TimeAmount
    /// A snapshot send may take `snapshotTimeoutBase` plus one second per
    /// `snapshotMinimumBytesPerSecond` bytes. Defaults 30 s and 1 MiB/s (about 68 min for 4 GiB).
    public var snapshotTimeoutBase: TimeAmount
    public var snapshotMinimumBytesPerSecond: Int

    public init(localID: UInt64, clusterID: UInt64) {
        self.localID = localID
        self.clusterID = clusterID
        self.maxMessageBytes = 64 << 20
        self.maxSnapshotBytes = 4 << 30
        self.reconnectBackoffMin = .milliseconds(100)
        self.reconnectBackoffMax = .seconds(2)
        self.maxQueuedMessages = 4096
        self.pingInterval = .seconds(1)
        self.unresponsiveTimeout = .seconds(5)
        self.connectTimeout = .seconds(2)
        self.snapshotTimeoutBase = .seconds(30)
        self.snapshotMinimumBytesPerSecond = 1 << 20
    }

    /// How long sending a snapshot of `byteCount` bytes may take before it is given up.
    func snapshotTimeout(forBytes byteCount: Int) -> TimeAmount {
        let perByte = max(snapshotMinimumBytesPerSecond, 1)
        return snapshotTimeoutBase + .seconds(Int64(byteCount / perByte))
    }
}
