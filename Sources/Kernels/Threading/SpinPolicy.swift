/// How long idle pool threads spin before they sleep.
///
/// libgomp's default is to spin for about 300,000 iterations after every parallel region. On an
/// idle machine that saves a wake-up; on a busy one (other jobs, or our own data-loading threads)
/// a spinning thread burns the timeslice its partner needs and a training step can run five
/// times slower. A bound of 10,000 spins (about 10 µs) keeps the idle-machine speed within a few
/// percent and the busy-machine speed close to that of pure sleeping.
///
/// `LibraryEnvironment.relaunchWithTunedLibraries()` sets it (libgomp reads it only when it loads).
public enum SpinPolicy {
    public static let boundedSpinCount = "10000"
}
