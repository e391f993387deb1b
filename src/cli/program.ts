import { Command } from 'commander';
import { TOOL_VERSION } from '../contracts/tool-version.js';
import { register as registerArtifact } from './commands/artifact.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerDataset } from './commands/dataset.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerEvents } from './commands/events.js';
import { register as registerInit } from './commands/init.js';
import { register as registerScan } from './commands/scan.js';
import { register as registerServe, type ServerLauncher } from './commands/serve.js';
import { register as registerToken } from './commands/token.js';
import { register as registerWeights } from './commands/weights.js';

/** What the executable injects into the CLI (see `src/bin/tunegate.ts`). */
export interface ProgramSurfaces {
  /** Starts the HTTP API for `tunegate serve`. */
  launchServer?: ServerLauncher;
}

/** Builds the `tunegate` command tree. */
export function buildProgram(surfaces: ProgramSurfaces = {}): Command {
  const program = new Command('tunegate')
    .description('Governed, auditable pipeline for LLM training and fine-tuning')
    .version(TOOL_VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const register of [
    registerInit,
    // `serve` exists only when the executable provides the server.
    (p: Command) => {
      if (surfaces.launchServer) registerServe(p, surfaces.launchServer);
    },
    registerAudit,
    registerToken,
    registerEvents,
    registerDataset,
    registerScan,
    registerArtifact,
    registerWeights,
    registerEval,
  ]) {
    register(program);
  }
  return program;
}
