import { CommanderError } from 'commander';
import { CliError, oneLine } from './errors.js';
import { buildProgram } from './program.js';

/**
 * The `sluice` entry point (bin/sluice.js loads it through tsx). Every failure ends as one line
 * on standard error that says the fix, and a non-zero exit status: 2 for bad usage or input, 1
 * otherwise. `SLUICE_DEBUG=1` prints the stack trace too.
 */
async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors are already printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`sluice: ${oneLine(error)}\n`);
    if (process.env.SLUICE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

process.exitCode = await main(process.argv);
