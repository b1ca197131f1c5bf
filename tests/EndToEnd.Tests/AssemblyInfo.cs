// Each scenario runs two service processes and a timing-sensitive fault plan; in parallel they would overload
// a 2-core machine and make the rate and latency numbers meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
