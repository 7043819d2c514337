#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// What the server needs from the operating system at start-up, through libc instead of
// Foundation: importing Foundation maps Foundation and its ICU data into the process, about
// half of an idle member's resident memory (see docs/performance.md).

/// Milliseconds since the Unix epoch, from the wall clock (what `Date().timeIntervalSince1970 * 1000` gave).
func unixTimeMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
}

/// Makes sure `path` is a directory: an existing one is accepted as it is (a symbolic link to
/// a directory too), a missing one is created with its missing parents, each with mode 0700
/// (etcd's permissions for a data directory).
func prepareDirectory(_ path: String) throws {
    var info = stat()
    if stat(path, &info) == 0 {
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ConfigurationError("--data-dir \(path) exists and is not a directory")
        }
        return
    }
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o700) != 0 {
            let failure = errno
            var existing = stat()
            guard failure == EEXIST, stat(prefix, &existing) == 0, existing.st_mode & S_IFMT == S_IFDIR else {
                throw ConfigurationError("cannot create data directory \(path): \(String(cString: strerror(failure)))")
            }
        }
        prefix += "/"
    }
}
