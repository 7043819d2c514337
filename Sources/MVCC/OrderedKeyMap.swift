/// An ordered map from byte-string keys to values, kept as a B-tree.
///
/// Lookups, inserts and removals cost O(log n); visiting the k keys at or after any start key
/// costs O(log n + k). This is the store's only ordered structure and is kept behind this small
/// API so it can be replaced.
final class OrderedKeyMap<Value> {
    private final class Node {
        var keys: [[UInt8]]
        var values: [Value]
        /// Empty for a leaf; otherwise one more than `keys`.
        var children: [Node]

        init(keys: [[UInt8]] = [], values: [Value] = [], children: [Node] = []) {
            self.keys = keys
            self.values = values
            self.children = children
        }

        var isLeaf: Bool { children.isEmpty }

        /// The first index whose key is not less than `key`, and whether that key equals it.
        func lowerBound(_ key: [UInt8]) -> (index: Int, found: Bool) {
            var low = 0
            var high = keys.count
            while low < high {
                let mid = (low + high) / 2
                if ByteOrder.less(keys[mid], key) { low = mid + 1 } else { high = mid }
            }
            return (low, low < keys.count && keys[low] == key)
        }
    }

    /// Every node but the root holds between `minimumDegree - 1` and `2 * minimumDegree - 1` keys.
    private let minimumDegree: Int
    private var root = Node()
    private(set) var count = 0

    init(minimumDegree: Int = 32) {
        precondition(minimumDegree >= 2, "a B-tree needs a minimum degree of at least 2")
        self.minimumDegree = minimumDegree
    }

    private var maxKeys: Int { 2 * minimumDegree - 1 }

    subscript(key: [UInt8]) -> Value? {
        guard let (node, index) = locate(key) else { return nil }
        return node.values[index]
    }

    /// Calls `body` with the value stored for `key`, storing `makeValue()` first if there is none.
    @discardableResult
    func update<R>(_ key: [UInt8], insertingIfMissing makeValue: () -> Value, _ body: (inout Value) -> R) -> R {
        let (node, index) = locate(key) ?? insert(key, makeValue())
        return body(&node.values[index])
    }

    /// Calls `body` with the value stored for `key`, which must exist.
    @discardableResult
    func updateExisting<R>(_ key: [UInt8], _ body: (inout Value) -> R) -> R {
        guard let (node, index) = locate(key) else { preconditionFailure("no value stored for the key") }
        return body(&node.values[index])
    }

    /// Calls `body` with every entry in ascending key order, letting it change the value.
    func updateAll(_ body: ([UInt8], inout Value) -> Void) {
        func visit(_ node: Node) {
            for i in node.keys.indices {
                if !node.isLeaf { visit(node.children[i]) }
                body(node.keys[i], &node.values[i])
            }
            if let last = node.children.last { visit(last) }
        }
        visit(root)
    }

    /// Calls `body` with each entry whose key is `>= start`, in ascending key order, until it
    /// returns false.
    func forEach(from start: [UInt8], _ body: ([UInt8], Value) -> Bool) {
        // `start` is nil once the walk is right of it: whole subtrees are then in range.
        func visit(_ node: Node, from start: [UInt8]?) -> Bool {
            var first = 0
            if let start {
                let (index, found) = node.lowerBound(start)
                first = index
                if !found, !node.isLeaf, !visit(node.children[index], from: start) { return false }
            } else if !node.isLeaf, !visit(node.children[0], from: nil) {
                return false
            }
            for i in first..<node.keys.count {
                if !body(node.keys[i], node.values[i]) { return false }
                if !node.isLeaf, !visit(node.children[i + 1], from: nil) { return false }
            }
            return true
        }
        _ = visit(root, from: start)
    }

    @discardableResult
    func removeValue(forKey key: [UInt8]) -> Value? {
        let removed = remove(key, from: root)
        if root.keys.isEmpty, !root.isLeaf { root = root.children[0] }
        if removed != nil { count -= 1 }
        return removed
    }

    // MARK: - Search and insertion

    private func locate(_ key: [UInt8]) -> (Node, Int)? {
        var node = root
        while true {
            let (index, found) = node.lowerBound(key)
            if found { return (node, index) }
            if node.isLeaf { return nil }
            node = node.children[index]
        }
    }

    /// Inserts a key that is not yet stored; splits full nodes on the way down so that the leaf
    /// always has room.
    private func insert(_ key: [UInt8], _ value: Value) -> (Node, Int) {
        if root.keys.count == maxKeys {
            let newRoot = Node(children: [root])
            split(newRoot, childAt: 0)
            root = newRoot
        }
        var node = root
        while true {
            var (index, found) = node.lowerBound(key)
            precondition(!found, "insert of a key that is already stored")
            if node.isLeaf {
                node.keys.insert(key, at: index)
                node.values.insert(value, at: index)
                count += 1
                return (node, index)
            }
            if node.children[index].keys.count == maxKeys {
                split(node, childAt: index)
                if ByteOrder.less(node.keys[index], key) { index += 1 }
            }
            node = node.children[index]
        }
    }

    /// Splits the full child at `index` around its median, which moves up into `parent`.
    private func split(_ parent: Node, childAt index: Int) {
        let child = parent.children[index]
        let t = minimumDegree
        let right = Node(
            keys: Array(child.keys[t...]),
            values: Array(child.values[t...]),
            children: child.isLeaf ? [] : Array(child.children[t...])
        )
        parent.keys.insert(child.keys[t - 1], at: index)
        parent.values.insert(child.values[t - 1], at: index)
        parent.children.insert(right, at: index + 1)
        // New arrays, not removeSubrange: the left half would keep the full node's capacity,
        // and after ascending inserts (which only ever fill the rightmost node) stay half empty.
        child.keys = Array(child.keys[..<(t - 1)])
        child.values = Array(child.values[..<(t - 1)])
        if !child.isLeaf { child.children = Array(child.children[..<t]) }
    }

    // MARK: - Removal
    //
    // Single pass down the tree: before descending into a child, make sure it holds at least
    // `minimumDegree` keys, so that removing one key from it never leaves it under-full.

    private func remove(_ key: [UInt8], from node: Node) -> Value? {
        let (index, found) = node.lowerBound(key)
        if node.isLeaf {
            guard found else { return nil }
            node.keys.remove(at: index)
            return node.values.remove(at: index)
        }
        if found {
            let left = node.children[index]
            let right = node.children[index + 1]
            let removed = node.values[index]
            if left.keys.count >= minimumDegree {
                (node.keys[index], node.values[index]) = removeLast(from: left)
                return removed
            }
            if right.keys.count >= minimumDegree {
                (node.keys[index], node.values[index]) = removeFirst(from: right)
                return removed
            }
            merge(node, childAt: index)
            return remove(key, from: left)
        }
        return remove(key, from: fillChild(of: node, at: index))
    }

    private func removeLast(from node: Node) -> ([UInt8], Value) {
        if node.isLeaf { return (node.keys.removeLast(), node.values.removeLast()) }
        return removeLast(from: fillChild(of: node, at: node.children.count - 1))
    }

    private func removeFirst(from node: Node) -> ([UInt8], Value) {
        if node.isLeaf { return (node.keys.removeFirst(), node.values.removeFirst()) }
        return removeFirst(from: fillChild(of: node, at: 0))
    }

    /// Gives the child at `index` at least `minimumDegree` keys, by borrowing from a sibling or
    /// merging with one; returns the node that now covers that child's keys.
    private func fillChild(of parent: Node, at index: Int) -> Node {
        let child = parent.children[index]
        if child.keys.count >= minimumDegree { return child }
        if index > 0, parent.children[index - 1].keys.count >= minimumDegree {
            let left = parent.children[index - 1]
            child.keys.insert(parent.keys[index - 1], at: 0)
            child.values.insert(parent.values[index - 1], at: 0)
            parent.keys[index - 1] = left.keys.removeLast()
            parent.values[index - 1] = left.values.removeLast()
            if !left.isLeaf { child.children.insert(left.children.removeLast(), at: 0) }
            return child
        }
        if index < parent.children.count - 1, parent.children[index + 1].keys.count >= minimumDegree {
            let right = parent.children[index + 1]
            child.keys.append(parent.keys[index])
            child.values.append(parent.values[index])
            parent.keys[index] = right.keys.removeFirst()
            parent.values[index] = right.values.removeFirst()
            if !right.isLeaf { child.children.append(right.children.removeFirst()) }
            return child
        }
        if index < parent.children.count - 1 {
            merge(parent, childAt: index)
            return child
        }
        merge(parent, childAt: index - 1)
        return parent.children[index - 1]
    }

    /// Merges the child at `index`, the separating key and the next child into the first.
    private func merge(_ parent: Node, childAt index: Int) {
        let left = parent.children[index]
        let right = parent.children.remove(at: index + 1)
        left.keys.append(parent.keys.remove(at: index))
        left.values.append(parent.values.remove(at: index))
        left.keys.append(contentsOf: right.keys)
        left.values.append(contentsOf: right.values)
        left.children.append(contentsOf: right.children)
    }

    // MARK: - Invariants (for tests)

    /// Checks the B-tree shape: key order, node fill and equal leaf depth.
    func checkInvariants() {
        var leafDepth: Int?
        var total = 0
        func check(_ node: Node, depth: Int, lower: [UInt8]?, upper: [UInt8]?) {
            precondition(node.keys.count == node.values.count)
            precondition(node === root || node.keys.count >= minimumDegree - 1, "under-full node")
            precondition(node.keys.count <= maxKeys, "over-full node")
            for i in node.keys.indices.dropFirst() {
                precondition(ByteOrder.less(node.keys[i - 1], node.keys[i]), "keys out of order")
            }
            if let lower, let first = node.keys.first { precondition(ByteOrder.less(lower, first)) }
            if let upper, let last = node.keys.last { precondition(ByteOrder.less(last, upper)) }
            total += node.keys.count
            if node.isLeaf {
                precondition(leafDepth == nil || leafDepth == depth, "leaves at different depths")
                leafDepth = depth
                return
            }
            precondition(node.children.count == node.keys.count + 1)
            for (i, child) in node.children.enumerated() {
                check(child,
                      depth: depth + 1,
                      lower: i == 0 ? lower : node.keys[i - 1],
                      upper: i == node.keys.count ? upper : node.keys[i])
            }
        }
        check(root, depth: 0, lower: nil, upper: nil)
        precondition(total == count, "count does not match the stored keys")
    }
}
