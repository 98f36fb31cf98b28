// Fixtures run side by side: each test works in an environment of its own on the shared server, and most of the
// time goes to starting `flagkit` processes. Tests inside a fixture run one after the other.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(3)]
