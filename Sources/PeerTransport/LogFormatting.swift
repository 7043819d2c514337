import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Member IDs are shown in hex, as etcd does.
func memberHex(_ id: UInt64) -> String {
    String(id, radix: 16)
}

/// "10.0.0.3:51234" or "[::1]:51234" rather than NIO's "[IPv4]10.0.0.3/10.0.0.3:51234".
func addressText(_ address: SocketAddress?) -> String {
    guard let address, let ip = address.ipAddress, let port = address.port else {
        return address.map { "\($0)" } ?? "unknown address"
    }
    if case .v6 = address {
        return "[\(ip)]:\(port)"
    }
    return "\(ip):\(port)"
}

/// Why a dial failed, in a few words ("Connection refused") rather than NIO's nested dump.
func dialFailureText(_ error: Error) -> String {
    var error = error
    if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
        error = first.error
    }
    if let io = error as? IOError {
        return String(cString: strerror(io.errnoCode))
    }
    if case ChannelError.connectTimeout = error {
        return "connect timed out"
    }
    return "\(error)"
}
