import type { Command } from 'commander';
import { InvalidOptionError, QueryRequiredError } from '../errors.js';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

/** Default port of `sluice ui`. */
export const DEFAULT_UI_PORT = 4040;

/** `sluice ui [query]` */
export function registerUi(program: Command): void {
  const command = program
    .command('ui')
    .summary('a web page with live charts of each query and shard')
    .description(
      "Serve a page on 127.0.0.1 that shows, per query and shard (like Spark's Structured Streaming tab): input " +
        'rate vs processing rate, batch duration by phase, the watermark gap to the newest event, state rows per ' +
        "operator, dead letters and late rows, and the latest progress JSON. It reads the handler's progress " +
        'records from S3 and updates every second, e.g. while `sluice local run` works. Ctrl-C stops it.',
    )
    .argument('[query]', 'query name (required on AWS; locally every query by default)')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free one)', String(DEFAULT_UI_PORT));
  addTargetOptions(command, ['bucket', 'prefix']);
  command.action(async (name: string | undefined, flags: TargetFlags & { port: string }) => {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new InvalidOptionError('--port', flags.port, 'give a port number between 0 and 65535');
    }
    const [{ ProgressFeed }, { startUiServer }, { resolveTarget }, { queryStages }] = await Promise.all([
      import('../ui/progress-feed.js'),
      import('../ui/server.js'),
      import('../target/resolve.js'),
      import('../target/query-stages.js'),
    ]);
    const target = await resolveTarget(flags);
    if (name === undefined && target.mode === 'aws') throw new QueryRequiredError();
    // A two-stage query's stages each have their progress (stage 1 under `<query>.stage-1`).
    const selected = name === undefined ? target.knownQueries : [target.query(name)];
    const stages = (await Promise.all(selected.map((query) => queryStages(target, query)))).flat();
    const queries = stages
      .map((stage) => stage.location)
      .flatMap((query) =>
        query.bucket === undefined
          ? []
          : [
              new ProgressFeed({
                client: target.clients.s3,
                bucket: query.bucket,
                prefix: query.prefix,
                query: query.name,
              }),
            ],
      );
    const server = await startUiServer({
      port,
      read: async () => ({
        where: target.where,
        generatedAt: new Date().toISOString(),
        queries: await Promise.all(queries.map((feed) => feed.read())),
      }),
    });
    process.stdout.write(`sluice ui on ${server.url} (${target.where}); Ctrl-C stops it\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    target.close();
  });
}
