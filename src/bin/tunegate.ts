#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ExitCode } from '../cli/exit-code.js';
import { buildProgram } from '../cli/program.js';

/**
 * The `tunegate` executable: composes the CLI with the HTTP server (for `serve`).
 * It is the only place where the two surfaces meet; Fastify is loaded on demand so
 * that other commands do not pay for its start-up.
 */

async function main(argv: string[]): Promise<void> {
  const program = buildProgram({
    launchServer: async (cp) => {
      const { startServer } = await import('../server/index.js');
      return startServer(cp);
    },
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse failure is a usage error.
      process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    throw err;
  }
}

main(process.argv).catch((err: unknown) => {
  process.stderr.write(`error: internal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = ExitCode.internal;
});
