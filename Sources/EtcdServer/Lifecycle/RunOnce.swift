import NIOConcurrencyHelpers

/// Runs a body the first time `run` is called; a later caller waits until that first run has
/// finished, then returns without running anything (a signal and a removal may both stop the
/// member).
final class RunOnce: Sendable {
    private let hasRun = NIOLockedValueBox(false)

    func run(_ body: () -> Void) {
        hasRun.withLockedValue { hasRun in
            guard !hasRun else { return }
            hasRun = true
            body()
        }
    }
}
