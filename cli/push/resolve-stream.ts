import { DescribeStreamSummaryCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { UnknownStreamError } from '../errors.js';
import { awsErrorName, withAws } from '../target/aws-errors.js';
import type { QueryLocation, Target } from '../target/target.js';

/** A stream to push to, and the query reading it when the target knows one. */
export interface ResolvedStream {
  readonly stream: string;
  readonly query?: QueryLocation;
  readonly shards: number;
}

/**
 * Finds the stream `name` names: on the local stack a stream name, a query name or a source name
 * (`readStream('user-activity')`); on AWS the stream's name. Checks that it exists, so a typo is a
 * one-line error listing the streams there are.
 */
export async function resolveStream(target: Target, name: string): Promise<ResolvedStream> {
  // A stream's own name first: a query over several sources shares a source name with their streams.
  const known = target.knownQueries;
  const query =
    known.find((candidate) => candidate.stream === name) ??
    known.find((candidate) => candidate.name === name || candidate.sources.includes(name));
  if (target.mode === 'local' && query === undefined) {
    const known = target.knownQueries.flatMap((candidate) => [...candidate.sources, candidate.name]);
    throw new UnknownStreamError(name, [...new Set(known)], target.where);
  }
  const stream = query?.stream ?? name;
  try {
    const summary = await withAws(target, 'kinesis', () =>
      target.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream })),
    );
    return {
      stream,
      ...(query === undefined ? {} : { query }),
      shards: summary.StreamDescriptionSummary?.OpenShardCount ?? 0,
    };
  } catch (error) {
    if (awsErrorName(error) !== 'ResourceNotFoundException') throw error;
    const listed = await withAws(target, 'kinesis', () =>
      target.clients.kinesis.send(new ListStreamsCommand({ Limit: 20 })),
    );
    throw new UnknownStreamError(name, listed.StreamNames ?? [], target.where);
  }
}
