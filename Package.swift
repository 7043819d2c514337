// swift-tools-version:6.0
import PackageDescription

// Module graph (see docs/architecture.md):
//   CNGHTTP2 ─ GRPCTransport ───────┐
//   EtcdWire ─ MVCC ─ Watch ────────┤
//   EtcdWire ─ Lease ───────────────┼─ EtcdServer ─ swift-etcd
//   Raft ─ WAL ─────────────────────┤
//   PeerTransport ──────────────────┘
//   Checksum (CRC-32C) under MVCC, Lease and WAL.
// EtcdWire, Checksum, MVCC, Watch, Lease and Raft are pure (no I/O, no clock); WAL touches files only
// through a small file-system interface; only GRPCTransport (C and sockets) and PeerTransport
// (sockets, between members) do network I/O.
let package = Package(
    name: "swift-etcd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swift-etcd", targets: ["swift-etcd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(name: "CGlibcMalloc"),
        .target(name: "EtcdWire"),
        .target(name: "Checksum"),
        .target(name: "MVCC", dependencies: ["EtcdWire", "Checksum"]),
        .target(name: "Raft"),
        .target(name: "WAL", dependencies: ["Raft", "Checksum"]),
        .target(name: "Watch", dependencies: ["MVCC", "EtcdWire"]),
        .target(name: "Lease", dependencies: ["EtcdWire", "Checksum"]),
        .target(
            name: "GRPCTransport",
            dependencies: [
                "CNGHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "PeerTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "EtcdServer",
            dependencies: [
                "EtcdWire", "MVCC", "GRPCTransport", "PeerTransport", "Raft", "WAL", "Watch", "Lease", "CGlibcMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(name: "swift-etcd", dependencies: ["EtcdServer"]),
        .testTarget(name: "EtcdWireTests", dependencies: ["EtcdWire"]),
        .testTarget(name: "MVCCTests", dependencies: ["MVCC", "EtcdWire", "Checksum"]),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
        .testTarget(name: "WALTests", dependencies: ["WAL", "Raft", "Checksum"]),
        .testTarget(name: "WatchTests", dependencies: ["Watch", "MVCC", "EtcdWire"]),
        .testTarget(name: "LeaseTests", dependencies: ["Lease", "EtcdWire", "Checksum"]),
        .testTarget(
            name: "GRPCTransportTests",
            dependencies: [
                "GRPCTransport", "CNGHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PeerTransportTests",
            dependencies: [
                "PeerTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EtcdServerTests",
            dependencies: [
                "EtcdServer", "EtcdWire", "MVCC", "Lease",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
