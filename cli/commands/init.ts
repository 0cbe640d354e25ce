import type { Command } from 'commander';

/** `sluice init <dir>` */
export function registerInit(program: Command): void {
  program
    .command('init')
    .summary('create a new sluice app')
    .description(
      'Create a new app in DIR: package.json depending on sluice, tsconfig.json, cdk.json, an example query ' +
        '(functions/queries/clicks.ts) with its Lambda handler, a CDK app with a StreamingQuery, a test with ' +
        'the test kit, sample events and a README. Then: cd DIR && npm install && npm test.',
    )
    .argument('<dir>', 'directory of the new app (created; must be empty)')
    .option('--sluice <spec>', "how the app's package.json names sluice (e.g. file:../sluice-0.1.0.tgz)")
    .action(async (dir: string, flags: { sluice?: string }) => {
      const { initApp } = await import('../init/init.js');
      const result = await initApp(dir, flags.sluice === undefined ? {} : { sluiceSpec: flags.sluice });
      process.stdout.write(
        `created ${result.dir}:\n${result.files.map((file) => `  ${file}`).join('\n')}\n\n` +
          `next:\n  cd ${dir}\n  npm install\n  npm test         # the query's tests\n  npm start        # the app on local emulators (sluice local run)\n  npx cdk synth    # the CloudFormation template\n`,
      );
    });
}
