import type { Command } from 'commander';
import {
  failsAt,
  type ModelManifest,
  parseFailOn,
  parseFormat,
  scanArtifact,
} from '../../artifacts/index.js';
import { renderReport, writeFileAtomic } from '../../scan/index.js';
import { action, ExitRequest } from '../command-output.js';
import { ExitCode } from '../exit-code.js';

interface ArtifactScanFlags {
  format: string;
  failOn: string;
  output?: string;
  manifest?: string;
  json?: boolean;
}

/** The manifest as terminal text: one `sha256  path` line per file and the root digest. */
function manifestText(m: ModelManifest): string {
  const lines = m.predicate.resources.map((r) => `${r.digest}  ${r.name}`);
  return `\nmanifest (model_signing v1.0, files/sha256): ${m.subject[0]?.name}\n${lines.join('\n')}\nroot digest: sha256:${m.subject[0]?.digest.sha256}\n`;
}

/** Registers `tunegate artifact scan PATH`. */
export function register(program: Command): void {
  const artifact = program
    .command('artifact')
    .description('Inspect model artifacts (checkpoints, adapters, GGUF)');
  artifact
    .command('scan')
    .description(
      'Scan a model file or directory for unsafe serialization and malformed weights; print its file manifest',
    )
    .argument('<path>', 'model file or directory')
    .option('-f, --format <format>', 'table | json | jsonl | sarif | html', 'table')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity', 'high')
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
    .option('--manifest <file>', 'also write the signing manifest (in-toto statement JSON) to a file')
    .option('--json', 'same as --format json')
    .action(
      action(async (path: string, flags: ArtifactScanFlags) => {
        const format = parseFormat(flags.json ? 'json' : flags.format);
        const failOn = parseFailOn(flags.failOn);
        const { report, manifest } = scanArtifact(path);
        let text = renderReport(report, format);
        if (format === 'table') text += manifestText(manifest);
        if (flags.output) await writeFileAtomic(flags.output, text);
        else process.stdout.write(text);
        if (flags.manifest) await writeFileAtomic(flags.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
        if (failsAt(report, failOn)) throw new ExitRequest(ExitCode.checkFailed);
      }),
    );
}
