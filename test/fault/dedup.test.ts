import { defineFaultSuite } from './support/fault-suite.js';

// Seeded fault schedules for the 'dedup' query (see support/lambda-simulator.ts for the schedule and
// support/compare-runs.ts for the exactly-once check).
defineFaultSuite('dedup');
