#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the member's persisted state takes on disk: the sizes of the files in `member/wal` and
/// `member/snap` (WAL segments count at their preallocated size). Status reports it as
/// `dbSize`, the nearest thing to etcd's database file size.
enum MemberDiskUsage {
    static func bytes(dataDirectory: String) -> Int64 {
        ["member/wal", "member/snap"].reduce(0) { $0 + directoryBytes(dataDirectory + "/" + $1) }
    }

    /// The sizes of the regular files directly in `path`; 0 if it cannot be read.
    private static func directoryBytes(_ path: String) -> Int64 {
        guard let directory = opendir(path) else { return 0 }
        defer { closedir(directory) }
        var total: Int64 = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            var info = stat()
            if stat(path + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                total += Int64(info.st_size)
            }
        }
        return total
    }
}
