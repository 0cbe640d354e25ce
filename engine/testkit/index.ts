export { MemorySink } from '../sinks/memory-sink.js';
export { ManualClock } from '../time/clock.js';
export { type Chunk, MemoryStream } from './memory-stream.js';
export { SimulatedCrash, StreamTest, type StreamTestOptions } from './stream-test.js';
