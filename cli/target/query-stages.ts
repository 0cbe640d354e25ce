import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { queryRoot } from '../../engine/aws/s3/layout.js';
import { translateS3Error } from '../query/read-results.js';
import type { QueryLocation, Target } from './target.js';

/**
 * The suffix of a stage-1 name: stage 1 of a two-stage query checkpoints and writes progress and
 * dead letters as `<query>.stage-1` (one source stream), or `<query>.stage-1.<source>` (one stage 1
 * per source stream of a query that reads several).
 */
export const STAGE_ONE_SUFFIX = '.stage-1';

/** The label of stage 1 (`stage-1.<source>` for one of several). */
export const STAGE_ONE_LABEL = 'stage-1';

/** The label of stage 2 (the query's own name, after the exchange). */
export const STAGE_TWO_LABEL = 'stage-2';

/** One stage of a query as the operator tools read it. */
export interface QueryStage {
  /**
   * `stage-1`, `stage-1.<source>` or `stage-2` for a two-stage query; `undefined` for a query that
   * runs as one stage.
   */
  readonly label?: string;
  /** Its checkpoints and S3 root: `location.name` is the stage's name. */
  readonly location: QueryLocation;
}

/** Whether `name` is a stage 1 of `query` (`<query>.stage-1` or `<query>.stage-1.<source>`). */
export function isStageOneOf(query: string, name: string): boolean {
  const stageOne = `${query}${STAGE_ONE_SUFFIX}`;
  return name === stageOne || name.startsWith(`${stageOne}.`);
}

/** The label of a stage name of `query`: `stage-1[.<source>]` or `stage-2`. */
export function stageLabel(query: string, name: string): string {
  return isStageOneOf(query, name) ? name.slice(query.length + 1) : STAGE_TWO_LABEL;
}

/** The stage name a label stands for. */
export function stageName(query: string, label: string | undefined): string {
  return label === undefined || label === STAGE_TWO_LABEL ? query : `${query}.${label}`;
}

/**
 * The stages of a query, stage 1s first: its stage-1 names are found by their prefix
 * (`PREFIX/<query>.stage-1…/` in the bucket: one listing with a delimiter, so several stage 1s of
 * a query over several source streams are found as well as one), plus `<query>.stage-1` when the
 * target knows the query runs two stages (its internal stream) and nothing was written yet. Without
 * any stage 1 the query is one stage, unlabelled. A stage 1 reads the query's source stream; one
 * named after a source reads that source's stream when the target knows it.
 */
export async function queryStages(target: Target, query: QueryLocation): Promise<QueryStage[]> {
  const names = new Set<string>();
  if (query.exchangeStream !== undefined) names.add(`${query.name}${STAGE_ONE_SUFFIX}`);
  if (query.bucket !== undefined) {
    for (const name of await listStageOneNames(target, query, query.bucket)) names.add(name);
  }
  if (names.size === 0) return [{ location: query }];
  const { exchangeStream, stream, ...common } = query;
  const stageOnes = [...names].sort().map((name): QueryStage => {
    const label = stageLabel(query.name, name);
    const source = label.slice(STAGE_ONE_LABEL.length); // '' or '.<source>'
    const read = source === '' ? stream : sourceStreamOf(target, source.slice(1));
    return { label, location: { ...common, name, ...(read === undefined ? {} : { stream: read }) } };
  });
  // Stage 2 reads the internal stream (unknown on AWS unless the target names it).
  const stageTwo: QueryLocation = {
    ...common,
    ...(exchangeStream === undefined ? {} : { stream: exchangeStream }),
  };
  return [...stageOnes, { label: STAGE_TWO_LABEL, location: stageTwo }];
}

/**
 * The stream a source name stands for, when the target knows it (the local stack does): a stream
 * of that name, else the stream of a query reading only that source; `undefined` otherwise.
 */
export function sourceStreamOf(target: Target, source: string): string | undefined {
  const known = target.knownQueries;
  return (
    known.find((query) => query.stream === source)?.stream ??
    known.find((query) => query.sources.length === 1 && query.sources[0] === source)?.stream
  );
}

/**
 * Names under `PREFIX/` that start with `<query>.stage-1` and are a stage 1 of the query. A skip
 * scan (one key per request, then past that name's whole folder: `/` sorts just before `0`) costs
 * one request per name, whatever a stage holds; it needs no delimiter listing (which s3rver lacks).
 */
async function listStageOneNames(target: Target, query: QueryLocation, bucket: string): Promise<string[]> {
  const parent = queryRoot(query.prefix, '');
  const base = parent === '/' ? '' : parent;
  const start = `${base}${query.name}${STAGE_ONE_SUFFIX}`;
  const names: string[] = [];
  let after: string | undefined;
  try {
    for (;;) {
      const page = await target.clients.s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: start,
          MaxKeys: 1,
          ...(after === undefined ? {} : { StartAfter: after }),
        }),
      );
      const key = page.Contents?.[0]?.Key;
      if (key === undefined) break;
      const slash = key.indexOf('/', base.length);
      const name = key.slice(base.length, slash === -1 ? undefined : slash);
      if (isStageOneOf(query.name, name)) names.push(name);
      after = `${base}${name}${slash === -1 ? '\u0000' : '0'}`;
    }
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
  return names;
}
