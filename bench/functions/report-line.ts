/**
 * Wraps a bench function's handler to print one JSON line per invocation with its duration and
 * record count, like the `REPORT` line Lambda writes, so the end-to-end benchmark can tell handler
 * time from everything around it (the runner reads function output).
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';

/** The key of the line's JSON object. */
export const REPORT_KEY = 'benchInvocation';

export interface ReportLine {
  readonly ms: number;
  readonly records: number;
}

type Handler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

export function withReportLine(handler: Handler): Handler {
  return async (event, context) => {
    const started = performance.now();
    try {
      return await handler(event, context);
    } finally {
      const line: ReportLine = { ms: performance.now() - started, records: event.Records.length };
      process.stdout.write(`${JSON.stringify({ [REPORT_KEY]: line })}\n`);
    }
  };
}
