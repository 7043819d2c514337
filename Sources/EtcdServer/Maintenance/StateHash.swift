/// The hash of a member's persisted state that `Maintenance.Hash` answers and a backup file
/// records: CRC-32C (Castagnoli, as etcd's hashes) over the store snapshot and then the lessor
/// snapshot, each without the CRC-32C it ends with — a CRC over bytes followed by their own CRC
/// is the same constant whatever the bytes. Both snapshots are deterministic, so members that
/// applied the same log have the same hash. (etcd hashes its bolt file; the two never compare.)
enum StateHash {
    static func of(store: [UInt8], leases: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for snapshot in [store, leases] {
            for byte in snapshot.dropLast(checksumBytes) {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// The CRC-32C that ends a store or lessor snapshot.
    private static let checksumBytes = 4

    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }
}
