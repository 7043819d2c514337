/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor
/// 0xFFFFFFFF), the checksum of a lessor snapshot, as of the store's and the WAL's files.
///
/// One table, a byte at a time: a lessor snapshot is 16 bytes a lease, small enough that the
/// faster table sets elsewhere would not pay for themselves. Lease keeps its own copy because
/// it depends on no module that has one.
enum LeaseCRC32C {
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }
}
