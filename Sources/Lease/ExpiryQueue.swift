/// Leases ordered by when to look at them next: a binary min-heap that also knows where each
/// lease sits, so moving one (every keep-alive does) or removing one costs O(log n), and
/// finding the due ones costs O(log n) each: expiry work is proportional to what expires, not
/// to how many leases exist.
///
/// Ties go to the lower ID, so the order is the same on every run.
struct ExpiryQueue {
    private struct Entry {
        var due: MonotonicInstant
        var id: LeaseID

        func precedes(_ other: Entry) -> Bool {
            (due, id) < (other.due, other.id)
        }
    }

    private var heap: [Entry] = []
    /// Where each lease's entry is in `heap`.
    private var position: [LeaseID: Int] = [:]

    var count: Int { heap.count }

    /// The earliest entry, if any.
    var first: (id: LeaseID, due: MonotonicInstant)? {
        heap.first.map { ($0.id, $0.due) }
    }

    /// Sets when to look at `id` next, adding it if it is not queued.
    mutating func schedule(_ id: LeaseID, at due: MonotonicInstant) {
        if let index = position[id] {
            let earlier = due < heap[index].due
            heap[index].due = due
            if earlier { siftUp(index) } else { siftDown(index) }
        } else {
            heap.append(Entry(due: due, id: id))
            position[id] = heap.count - 1
            siftUp(heap.count - 1)
        }
    }

    mutating func remove(_ id: LeaseID) {
        guard let index = position.removeValue(forKey: id) else { return }
        let last = heap.removeLast()
        guard index < heap.count else { return }
        heap[index] = last
        position[last.id] = index
        siftDown(index)
        siftUp(index)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var smallest = parent
            let left = 2 * parent + 1
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if left + 1 < heap.count, heap[left + 1].precedes(heap[smallest]) { smallest = left + 1 }
            guard smallest != parent else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        position[heap[i].id] = i
        position[heap[j].id] = j
    }
}
