/// A file's content for `MemoryFileSystem`, in fixed-size pages, so that keeping a copy (what a
/// sync makes durable) shares every page not written since, and preallocated zeros share one
/// page: a sync of a 64 MiB segment copies page references, not 64 MiB.
struct PagedBytes {
    static let pageSize = 64 << 10
    private static let zeroPage = [UInt8](repeating: 0, count: pageSize)

    private(set) var count = 0
    /// Invariant: bytes of the last page at or after `count` are zero, so growing needs no clearing.
    private var pages: [[UInt8]] = []

    var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        for (index, page) in pages.enumerated() {
            result.append(contentsOf: page.prefix(count - index * Self.pageSize))
        }
        return result
    }

    func bytes(in range: Range<Int>) -> [UInt8] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return range.map { self[$0] }
    }

    subscript(offset: Int) -> UInt8 {
        get {
            precondition(offset >= 0 && offset < count)
            return pages[offset / Self.pageSize][offset % Self.pageSize]
        }
        set {
            precondition(offset >= 0 && offset < count)
            pages[offset / Self.pageSize][offset % Self.pageSize] = newValue
        }
    }

    /// Shortens the content, or extends it with zeros.
    mutating func resize(to newCount: Int) {
        precondition(newCount >= 0)
        if newCount < count {
            let keptPages = (newCount + Self.pageSize - 1) / Self.pageSize
            pages.removeLast(pages.count - keptPages)
            let used = newCount - (keptPages - 1) * Self.pageSize
            if keptPages > 0, used < Self.pageSize {
                pages[keptPages - 1].withUnsafeMutableBytes { page in
                    _ = page.baseAddress!.advanced(by: used).initializeMemory(as: UInt8.self, repeating: 0, count: Self.pageSize - used)
                }
            }
        } else {
            while pages.count * Self.pageSize < newCount { pages.append(Self.zeroPage) }
        }
        count = newCount
    }

    /// Writes `bytes` at `offset`, extending the content with zeros first if it is shorter.
    mutating func write(_ bytes: ArraySlice<UInt8>, at offset: Int) {
        precondition(offset >= 0)
        if count < offset + bytes.count { resize(to: offset + bytes.count) }
        bytes.withUnsafeBytes { source in
            var done = 0
            while done < source.count {
                let position = offset + done
                let inPage = position % Self.pageSize
                let chunk = min(Self.pageSize - inPage, source.count - done)
                pages[position / Self.pageSize].withUnsafeMutableBytes { page in
                    page.baseAddress!.advanced(by: inPage).copyMemory(from: source.baseAddress!.advanced(by: done), byteCount: chunk)
                }
                done += chunk
            }
        }
    }
}
