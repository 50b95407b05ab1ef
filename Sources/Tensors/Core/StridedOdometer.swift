/// Walks a shape's elements in row-major order while keeping the matching element offset under
/// another set of strides: the loop behind every strided copy (a permuted view made contiguous,
/// a Fortran-order .npy array, a torch.save tensor view), written once.
public struct StridedOdometer {
    @usableFromInline let shape: [Int]
    @usableFromInline let strides: [Int]
    @usableFromInline var index: [Int]
    @usableFromInline var current: Int
    /// The offset of the current element: `base` plus the sum of index times stride.
    @inlinable public var offset: Int { current }

    /// Starts at row-major element `element` (0 for the first) of `shape`.
    @inlinable
    public init(shape: [Int], strides: [Int], base: Int = 0, startingAt element: Int = 0) {
        precondition(shape.count == strides.count, "StridedOdometer: \(shape.count) sizes but \(strides.count) strides")
        self.shape = shape
        self.strides = strides
        index = [Int](repeating: 0, count: shape.count)
        current = base
        var remainder = element
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
            index[axis] = remainder % shape[axis]
            remainder /= shape[axis]
            current += index[axis] * strides[axis]
        }
    }

    /// Moves to the next element in row-major order (back to the first after the last).
    @inlinable
    public mutating func advance() {
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            current += strides[axis]
            if index[axis] < shape[axis] { return }
            current -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }

    /// Calls `body` with the offset of each of the `count` elements from the current one.
    @inlinable
    public mutating func forEach(_ count: Int, _ body: (Int) -> Void) {
        for _ in 0..<count {
            body(current)
            advance()
        }
    }
}
