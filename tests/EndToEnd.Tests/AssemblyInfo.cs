// Each scenario runs two service processes and a timing-sensitive fault plan; in parallel they would overload
// a 2-core machine and make the rate and latency numbers meaningless. So every class without a [Collection] is in
// the one assembly-wide collection, and those run one at a time. BurstCoalescingTests, which mostly waits a real
// minute for a Dapr job, names a collection of its own and so runs beside them instead of adding its minute to CI.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
