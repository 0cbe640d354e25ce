/**
 * The sluice function of the end-to-end benchmark (run by the local runner from the bench stack):
 * the bench query through the engine's handler factory, configured from the environment exactly
 * like the example functions in `functions/`; each invocation prints a report line (report-line.ts).
 */
import { kinesisHandler } from '../../engine/aws/lambda/kinesis-handler.js';
import { runtimeFromEnvironment } from '../../functions/runtime.js';
import { benchQuery, E2E_QUERY_NAME } from '../aws/workload.js';
import { withReportLine } from './report-line.js';

const query = benchQuery(E2E_QUERY_NAME);

export const handler = withReportLine(kinesisHandler(query, runtimeFromEnvironment(query.name)));
