// Protobuf codec for the etcdserverpb KV messages (Range, Put, DeleteRange, Txn, Compact).

extension SortOrder: ProtoEnum {}
extension SortTarget: ProtoEnum {}
extension CompareResult: ProtoEnum {}
extension CompareTarget: ProtoEnum {}

extension ResponseHeader: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: clusterID = try reader.uint64(tag)
            case 2: memberID = try reader.uint64(tag)
            case 3: revision = try reader.int64(tag)
            case 4: raftTerm = try reader.uint64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.uint64(1, clusterID)
        sink.uint64(2, memberID)
        sink.int64(3, revision)
        sink.uint64(4, raftTerm)
    }
}

extension RangeRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: key = try reader.bytes(tag)
            case 2: rangeEnd = try reader.bytes(tag)
            case 3: limit = try reader.int64(tag)
            case 4: revision = try reader.int64(tag)
            case 5: sortOrder = try reader.enumValue(tag)
            case 6: sortTarget = try reader.enumValue(tag)
            case 7: serializable = try reader.bool(tag)
            case 8: keysOnly = try reader.bool(tag)
            case 9: countOnly = try reader.bool(tag)
            case 10: minModRevision = try reader.int64(tag)
            case 11: maxModRevision = try reader.int64(tag)
            case 12: minCreateRevision = try reader.int64(tag)
            case 13: maxCreateRevision = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, key)
        sink.bytes(2, rangeEnd)
        sink.int64(3, limit)
        sink.int64(4, revision)
        sink.enumValue(5, sortOrder)
        sink.enumValue(6, sortTarget)
        sink.bool(7, serializable)
        sink.bool(8, keysOnly)
        sink.bool(9, countOnly)
        sink.int64(10, minModRevision)
        sink.int64(11, maxModRevision)
        sink.int64(12, minCreateRevision)
        sink.int64(13, maxCreateRevision)
    }
}

extension RangeResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: kvs.append(try reader.message(tag))
            case 3: more = try reader.bool(tag)
            case 4: count = try reader.int64(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.repeatedMessages(2, kvs)
        sink.bool(3, more)
        sink.int64(4, count)
    }
}

extension PutRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: key = try reader.bytes(tag)
            case 2: value = try reader.bytes(tag)
            case 3: lease = try reader.int64(tag)
            case 4: prevKV = try reader.bool(tag)
            case 5: ignoreValue = try reader.bool(tag)
            case 6: ignoreLease = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, key)
        sink.bytes(2, value)
        sink.int64(3, lease)
        sink.bool(4, prevKV)
        sink.bool(5, ignoreValue)
        sink.bool(6, ignoreLease)
    }
}

extension PutResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: try reader.message(tag, into: &prevKV)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.message(2, prevKV)
    }
}

extension DeleteRangeRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: key = try reader.bytes(tag)
            case 2: rangeEnd = try reader.bytes(tag)
            case 3: prevKV = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.bytes(1, key)
        sink.bytes(2, rangeEnd)
        sink.bool(3, prevKV)
    }
}

extension DeleteRangeResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: deleted = try reader.int64(tag)
            case 3: prevKVs.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.int64(2, deleted)
        sink.repeatedMessages(3, prevKVs)
    }
}

extension RequestOp: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        // A repeated oneof member merges into the previous one; a different member replaces it.
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1:
                var value = RangeRequest()
                if case .range(let old)? = request { value = old }
                try reader.message(tag, into: &value)
                request = .range(value)
            case 2:
                var value = PutRequest()
                if case .put(let old)? = request { value = old }
                try reader.message(tag, into: &value)
                request = .put(value)
            case 3:
                var value = DeleteRangeRequest()
                if case .deleteRange(let old)? = request { value = old }
                try reader.message(tag, into: &value)
                request = .deleteRange(value)
            case 4:
                var value = TxnRequest()
                if case .txn(let old)? = request { value = old }
                try reader.message(tag, into: &value)
                request = .txn(value)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        switch request {
        case .range(let value)?: sink.message(1, value)
        case .put(let value)?: sink.message(2, value)
        case .deleteRange(let value)?: sink.message(3, value)
        case .txn(let value)?: sink.message(4, value)
        case nil: break
        }
    }
}

extension ResponseOp: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1:
                var value = RangeResponse()
                if case .range(let old)? = response { value = old }
                try reader.message(tag, into: &value)
                response = .range(value)
            case 2:
                var value = PutResponse()
                if case .put(let old)? = response { value = old }
                try reader.message(tag, into: &value)
                response = .put(value)
            case 3:
                var value = DeleteRangeResponse()
                if case .deleteRange(let old)? = response { value = old }
                try reader.message(tag, into: &value)
                response = .deleteRange(value)
            case 4:
                var value = TxnResponse()
                if case .txn(let old)? = response { value = old }
                try reader.message(tag, into: &value)
                response = .txn(value)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        switch response {
        case .range(let value)?: sink.message(1, value)
        case .put(let value)?: sink.message(2, value)
        case .deleteRange(let value)?: sink.message(3, value)
        case .txn(let value)?: sink.message(4, value)
        case nil: break
        }
    }
}

extension Compare: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: result = try reader.enumValue(tag)
            case 2: target = try reader.enumValue(tag)
            case 3: key = try reader.bytes(tag)
            case 4: targetUnion = .version(try reader.int64(tag))
            case 5: targetUnion = .createRevision(try reader.int64(tag))
            case 6: targetUnion = .modRevision(try reader.int64(tag))
            case 7: targetUnion = .value(try reader.bytes(tag))
            case 8: targetUnion = .lease(try reader.int64(tag))
            case 64: rangeEnd = try reader.bytes(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.enumValue(1, result)
        sink.enumValue(2, target)
        sink.bytes(3, key)
        switch targetUnion {
        case .version(let value)?: sink.oneofInt64(4, value)
        case .createRevision(let value)?: sink.oneofInt64(5, value)
        case .modRevision(let value)?: sink.oneofInt64(6, value)
        case .value(let value)?: sink.oneofBytes(7, value)
        case .lease(let value)?: sink.oneofInt64(8, value)
        case nil: break
        }
        sink.bytes(64, rangeEnd)
    }
}

extension TxnRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: compare.append(try reader.message(tag))
            case 2: success.append(try reader.message(tag))
            case 3: failure.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.repeatedMessages(1, compare)
        sink.repeatedMessages(2, success)
        sink.repeatedMessages(3, failure)
    }
}

extension TxnResponse: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: try reader.message(tag, into: &header)
            case 2: succeeded = try reader.bool(tag)
            case 3: responses.append(try reader.message(tag))
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.message(1, header)
        sink.bool(2, succeeded)
        sink.repeatedMessages(3, responses)
    }
}

extension CompactionRequest: WireMessage {
    mutating func merge(from reader: inout ProtoReader) throws {
        while let tag = try reader.nextTag() {
            switch tag.number {
            case 1: revision = try reader.int64(tag)
            case 2: physical = try reader.bool(tag)
            default: try reader.skip(tag)
            }
        }
    }

    func encode<S: ProtoSink>(to sink: inout S) {
        sink.int64(1, revision)
        sink.bool(2, physical)
    }
}

extension CompactionResponse: HeaderOnlyResponse {}
