import Synchronization

/// Counts the multiply-accumulates of the layers that run inside `count(_:)`.
///
/// FLOP figures come from the model itself: run one forward pass of a single image inside
/// `count` and every convolution, linear layer and head reports the work it did. Nothing is
/// hard-coded per model, so a changed architecture reports changed counts.
public enum MultiplyAccumulateCounter {
    @TaskLocal static var active: Counter?

    public final class Counter: Sendable {
        let total = Atomic<Int>(0)
        public var value: Int { total.load(ordering: .relaxed) }
    }

    /// The multiply-accumulates layers reported while `body` ran.
    public static func count(_ body: () throws -> Void) rethrows -> Int {
        let counter = Counter()
        try $active.withValue(counter) { try body() }
        return counter.value
    }

    /// Called by layers: adds `amount` when a count is in progress.
    public static func record(_ amount: Int) {
        active?.total.add(amount, ordering: .relaxed)
    }
}
