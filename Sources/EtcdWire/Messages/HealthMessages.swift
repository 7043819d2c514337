// grpc.health.v1: the standard gRPC health-check messages and their protobuf codec.

/// `HealthCheckResponse.ServingStatus`.
public struct ServingStatus: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let unknown = ServingStatus(rawValue: 0)
    public static let serving = ServingStatus(rawValue: 1)
    public static let notServing = ServingStatus(rawValue: 2)
    /// Only sent by `Watch`, for a service name the server does not know.
    public static let serviceUnknown = ServingStatus(rawValue: 3)
}

public struct HealthCheckRequest: Hashable, Sendable {
    /// "" asks about the server as a whole.
    public var service: String = ""
    public init() {}
}

public struct HealthCheckResponse: Hashable, Sendable {
    public var status: ServingStatus = .unknown
    public init() {}
}

// MARK: - Codec

extension ServingStatus: ProtoEnum {}

extension HealthCheckRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: service = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.string(1, service)
    }
}

extension HealthCheckResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: status = try reader.enumValue(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.enumValue(1, status)
    }
}
