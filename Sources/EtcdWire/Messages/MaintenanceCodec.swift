// Protobuf codec for the Maintenance messages declared in MaintenanceMessages.swift.

extension AlarmType: ProtoEnum {}
extension AlarmAction: ProtoEnum {}
extension DowngradeAction: ProtoEnum {}

extension AlarmRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: action = try reader.enumValue(tag)
            case 2: memberID = try reader.uint64(tag)
            case 3: alarm = try reader.enumValue(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.enumValue(1, action)
        sink.uint64(2, memberID)
        sink.enumValue(3, alarm)
    }
}

extension AlarmMember: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: memberID = try reader.uint64(tag)
            case 2: alarm = try reader.enumValue(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.uint64(1, memberID)
        sink.enumValue(2, alarm)
    }
}

extension AlarmResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: alarms.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedMessages(2, alarms)
    }
}

extension StatusRequest: EmptyMessage {}

extension DowngradeInfo: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: enabled = try reader.bool(tag)
            case 2: targetVersion = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bool(1, enabled)
        sink.string(2, targetVersion)
    }
}

extension StatusResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: version = try reader.string(tag)
            case 3: dbSize = try reader.int64(tag)
            case 4: leader = try reader.uint64(tag)
            case 5: raftIndex = try reader.uint64(tag)
            case 6: raftTerm = try reader.uint64(tag)
            case 7: raftAppliedIndex = try reader.uint64(tag)
            case 8: errors.append(try reader.string(tag))
            case 9: dbSizeInUse = try reader.int64(tag)
            case 10: isLearner = try reader.bool(tag)
            case 11: storageVersion = try reader.string(tag)
            case 12: dbSizeQuota = try reader.int64(tag)
            case 13: try reader.message(tag, into: &downgradeInfo)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.string(2, version)
        sink.int64(3, dbSize)
        sink.uint64(4, leader)
        sink.uint64(5, raftIndex)
        sink.uint64(6, raftTerm)
        sink.uint64(7, raftAppliedIndex)
        sink.repeatedStrings(8, errors)
        sink.int64(9, dbSizeInUse)
        sink.bool(10, isLearner)
        sink.string(11, storageVersion)
        sink.int64(12, dbSizeQuota)
        sink.message(13, downgradeInfo)
    }
}

extension DefragmentRequest: EmptyMessage {}
extension DefragmentResponse: HeaderOnlyResponse {}
extension HashRequest: EmptyMessage {}

extension HashResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: hash = try reader.uint32(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.uint32(2, hash)
    }
}

extension HashKVRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: revision = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.int64(1, revision)
    }
}

extension HashKVResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: hash = try reader.uint32(tag)
            case 3: compactRevision = try reader.int64(tag)
            case 4: hashRevision = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.uint32(2, hash)
        sink.int64(3, compactRevision)
        sink.int64(4, hashRevision)
    }
}

extension SnapshotRequest: EmptyMessage {}

extension SnapshotResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: remainingBytes = try reader.uint64(tag)
            case 3: blob = try reader.bytes(tag)
            case 4: version = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.uint64(2, remainingBytes)
        sink.bytes(3, blob)
        sink.string(4, version)
    }
}

extension MoveLeaderRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: targetID = try reader.uint64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.uint64(1, targetID)
    }
}

extension MoveLeaderResponse: HeaderOnlyResponse {}

extension DowngradeRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: action = try reader.enumValue(tag)
            case 2: version = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.enumValue(1, action)
        sink.string(2, version)
    }
}

extension DowngradeResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: version = try reader.string(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.string(2, version)
    }
}
