/// The file `etcdctl snapshot save` writes from swift-etcd: the body `Maintenance.Snapshot`
/// streams, then the SHA-256 of the body that the stream ends with (docs/operations.md,
/// "Backup and restore"). It is swift-etcd's own format, not etcd's bolt database.
///
/// Body layout (integers little-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic: ASCII `sebk` |
/// | 4 | 4 | format version, 1 |
/// | 8 | 8 | store snapshot length `S` |
/// | 16 | 8 | lessor snapshot length `L` |
/// | 24 | 4 | the state hash (`StateHash`) of the two snapshots: what `Maintenance.Hash` answered |
/// | 28 | 4 | zero |
/// | 32 | `S` | the store snapshot (`MVCCStore.snapshotBytes`) |
/// | 32 + `S` | `L` | the lessor snapshot (`Lessor.snapshotBytes`) |
/// | … | | zeros up to a multiple of 512 bytes |
///
/// The padding is there because etcdctl recognizes the SHA-256 trailer by the file's size: it
/// refuses a download unless size mod 512 is 32.
enum BackupFile {
    static let magic: [UInt8] = Array("sebk".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 32
    static let alignment = 512

    /// The body of a backup of these snapshots.
    static func body(store: [UInt8], leases: [UInt8]) -> [UInt8] {
        let contentBytes = headerBytes + store.count + leases.count
        let total = (contentBytes + alignment - 1) / alignment * alignment
        var body: [UInt8] = []
        body.reserveCapacity(total)
        body += magic
        body.appendLittleEndian(version)
        body.appendLittleEndian(UInt64(store.count))
        body.appendLittleEndian(UInt64(leases.count))
        body.appendLittleEndian(StateHash.of(store: store, leases: leases))
        body.appendLittleEndian(UInt32(0))
        body += store
        body += leases
        body += repeatElement(0, count: total - contentBytes)
        return body
    }

    /// The snapshots in a saved file, after checking its trailer and layout. The snapshots'
    /// own contents are checked by whoever reads them (`BackupContents.verified`).
    static func decode(_ file: [UInt8]) throws(BackupFileError) -> BackupContents {
        guard file.count >= 4, Array(file[0..<4]) == magic else {
            if file.count >= 20, Array(file[16..<20]) == [0xED, 0xDA, 0x0C, 0xED] {
                throw BackupFileError("it is an etcd (bolt) database, which swift-etcd cannot read; restore it with etcdctl snapshot restore and run etcd")
            }
            throw BackupFileError("it does not start with \"sebk\": not a snapshot saved from swift-etcd")
        }
        guard file.count >= headerBytes + SHA256.digestBytes else {
            throw BackupFileError("only \(file.count) bytes: too short for a header and a sha256 trailer")
        }
        let bodyBytes = file.count - SHA256.digestBytes
        let trailer = Array(file[bodyBytes...])
        let computed = SHA256.digest(file[..<bodyBytes])
        guard trailer == computed else {
            throw BackupFileError("sha256 mismatch: the file says \(hex(trailer)), its content hashes to \(hex(computed)); the file is damaged or truncated")
        }
        let fileVersion = UInt32(truncatingIfNeeded: file.littleEndian(at: 4, size: 4))
        guard fileVersion == version else {
            throw BackupFileError("format version \(fileVersion); this swift-etcd reads version \(version)")
        }
        let storeBytes = file.littleEndian(at: 8, size: 8)
        let leaseBytes = file.littleEndian(at: 16, size: 8)
        let available = UInt64(bodyBytes - headerBytes)
        guard storeBytes <= available, leaseBytes <= available - storeBytes else {
            throw BackupFileError("the header claims \(storeBytes) + \(leaseBytes) bytes of snapshots, the file holds \(available)")
        }
        let leaseStart = headerBytes + Int(storeBytes)
        let paddingStart = leaseStart + Int(leaseBytes)
        guard bodyBytes % alignment == 0, bodyBytes - paddingStart < alignment,
              file[paddingStart..<bodyBytes].allSatisfy({ $0 == 0 }) else {
            throw BackupFileError("\(bodyBytes - paddingStart) bytes after the snapshots, expected zero padding to a multiple of \(alignment)")
        }
        let store = Array(file[headerBytes..<leaseStart])
        let leases = Array(file[leaseStart..<paddingStart])
        let hash = StateHash.of(store: store, leases: leases)
        let recorded = UInt32(truncatingIfNeeded: file.littleEndian(at: 24, size: 4))
        guard recorded == hash else {
            throw BackupFileError("the state hash is \(hex32(hash)), the header says \(hex32(recorded))")
        }
        return BackupContents(store: store, leases: leases, hash: hash, bodyBytes: bodyBytes)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// What a backup file holds.
struct BackupContents {
    var store: [UInt8]
    var leases: [UInt8]
    var hash: UInt32
    /// The size of the file without its trailer.
    var bodyBytes: Int
}

struct BackupFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A hash as etcd prints one: lowercase hex, no padding (`%x`).
func hex32(_ value: UInt32) -> String { String(value, radix: 16) }

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<I: FixedWidthInteger>(_ value: I) {
        for index in 0..<(I.bitWidth / 8) { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    /// `size` bytes at `offset`, little-endian; the caller has checked they are there.
    fileprivate func littleEndian(at offset: Int, size: Int) -> UInt64 {
        (0..<size).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
}
