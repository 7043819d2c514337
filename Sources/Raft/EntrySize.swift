extension Entry {
    /// The unit every byte limit in this module counts in (messages, Ready batches, storage
    /// reads): the payload plus a fixed allowance for term, index and type. It approximates the
    /// encoded size closely enough to bound memory and message sizes.
    public var sizeInBytes: UInt64 {
        UInt64(data.count) + 17
    }
}

extension Array where Element == Entry {
    /// The longest prefix whose total size stays within `maxBytes`, but never empty when the
    /// array is not: an entry larger than the limit must still be able to travel on its own.
    func prefix(maxBytes: UInt64) -> [Entry] {
        guard !isEmpty else { return self }
        var total = self[0].sizeInBytes
        var count = 1
        while count < self.count {
            total += self[count].sizeInBytes
            if total > maxBytes { break }
            count += 1
        }
        return count == self.count ? self : Array(self[..<count])
    }
}
