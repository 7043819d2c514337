extension RevisionLog {
    /// Stored changes from some position of the log to its end, oldest first, read in place: a
    /// change's key-value is copied out only when asked for.
    struct Changes: Sequence {
        let chunks: [ChangeChunk]
        let start: (chunk: Int, index: Int)

        func makeIterator() -> Iterator { Iterator(chunks: chunks, chunk: start.chunk, index: start.index) }

        struct Iterator: IteratorProtocol {
            let chunks: [ChangeChunk]
            var chunk: Int
            var index: Int

            mutating func next() -> Entry? {
                guard chunk < chunks.count else { return nil }
                let entry = Entry(chunk: chunks[chunk], index: index)
                index += 1
                if index == chunks[chunk].count {
                    chunk += 1
                    index = 0
                }
                return entry
            }
        }
    }

    /// One stored change, in place in its chunk.
    struct Entry {
        let chunk: ChangeChunk
        let index: Int

        var revision: Revision { chunk.revision(at: index) }
        var key: [UInt8] { chunk.key(at: index) }
        var change: StoredChange { chunk.change(at: index) }
    }
}
