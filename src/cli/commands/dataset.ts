import type { Command } from 'commander';
import { stringify } from 'yaml';
import { datasetManifest, writeFileAtomic } from '../../scan/index.js';
import { action, ExitRequest, printJson } from '../command-output.js';
import { ExitCode } from '../exit-code.js';

interface ManifestFlags {
  manifest?: string;
  write?: string;
  json?: boolean;
  workers?: string;
}

/** Registers `tunegate dataset manifest PATH`. */
export function register(program: Command): void {
  const dataset = program.command('dataset').description('Dataset manifests and statistics');
  dataset
    .command('manifest')
    .description(
      'Compute file digests, dataset digest, record counts and statistics; fill a given manifest and report what the data contradicts',
    )
    .argument('<path>', 'dataset file or directory')
    .option('-m, --manifest <file>', 'declared manifest (YAML/JSON) to check and fill')
    .option(
      '-w, --write <file>',
      'write the filled manifest (or the computed facts) to this file, atomically',
    )
    .option('--workers <n>', 'worker threads (default: number of cores)')
    .option('--json', 'print JSON')
    .action(
      action(async (path: string, flags: ManifestFlags) => {
        const workers = flags.workers === undefined ? undefined : Number(flags.workers);
        const result = await datasetManifest(path, {
          ...(flags.manifest ? { manifestPath: flags.manifest } : {}),
          ...(workers !== undefined && Number.isInteger(workers) && workers >= 0
            ? { scan: { workers } }
            : {}),
        });
        const document = result.manifest ?? result.facts;
        if (flags.write) await writeFileAtomic(flags.write, stringify(document));
        if (flags.json) {
          printJson({
            manifest: document,
            contradictions: result.findings,
            ok: result.findings.length === 0,
          });
        } else {
          if (!flags.write) process.stdout.write(stringify(document));
          for (const f of result.findings) process.stderr.write(`contradiction: ${f.rule}: ${f.message}\n`);
          if (flags.manifest && result.findings.length === 0)
            process.stderr.write('manifest: consistent with the data\n');
        }
        if (result.findings.length > 0) throw new ExitRequest(ExitCode.checkFailed);
      }),
    );
}
