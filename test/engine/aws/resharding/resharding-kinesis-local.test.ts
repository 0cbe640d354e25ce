// The same resharding scenarios on kinesis-local (kinesis-mock, LocalStack's Kinesis engine), whose
// shard lineage and closed-shard behaviour differ from kinesalite's (see TOOLCHAIN.md).
process.env.SLUICE_TEST_KINESIS = 'kinesis-local';
await import('./resharding.test.js');
