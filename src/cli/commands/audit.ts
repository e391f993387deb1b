import type { Command } from 'commander';
import { EXPORT_FORMATS, ExportQuerySchema } from '../../contracts/api.js';
import { ContractError } from '../../contracts/error.js';
import { parseContract } from '../../contracts/validate.js';
import { type ConnectionOptions, withClient, withConnectionOptions } from '../client-connection.js';
import { action, ExitRequest, printJson } from '../command-output.js';
import { ExitCode } from '../exit-code.js';
import { readInput } from '../input-file.js';
import { parseIndex } from '../numeric-option.js';
import { writeFileAtomic, writeStreamAtomic } from '../output-file.js';

interface VerifyOptions extends ConnectionOptions {
  checkpoint?: string;
}
interface ExportOptions extends ConnectionOptions {
  format: string;
  output?: string;
  category?: string;
  since?: string;
  until?: string;
}
interface ProofOptions extends ConnectionOptions {
  index?: string;
  treeSize?: string;
  from?: string;
  to?: string;
}
interface OutputOptions extends ConnectionOptions {
  output?: string;
}

/** Registers `tunegate audit verify|export|proof|checkpoint|receipt|public-key`. */
export function register(program: Command): void {
  const audit = program.command('audit').description('verify, prove and export the tamper-evident audit log');

  withConnectionOptions(
    audit
      .command('verify')
      .description('recompute the whole log; exit 1 and name the first bad index when it was tampered with')
      .option(
        '--checkpoint <file>',
        'a checkpoint saved earlier; fails when the log was rolled back behind it',
      ),
  ).action(
    action(async (opts: VerifyOptions) => {
      const checkpoint =
        opts.checkpoint === undefined ? undefined : await readInput(opts.checkpoint, '--checkpoint');
      const r = await withClient(opts, (c) => c.verify(checkpoint === undefined ? {} : { checkpoint }));
      if (opts.json)
        printJson({ ok: r.ok, size: r.size, first_bad_index: r.first_bad_index, reason: r.reason });
      else if (r.ok) process.stdout.write(`ok: ${r.size} entries verified (${r.reason})\n`);
      else
        process.stdout.write(
          `FAILED: first bad index ${r.first_bad_index ?? '-'} of ${r.size}: ${r.reason}\n`,
        );
      if (!r.ok) throw new ExitRequest(ExitCode.checkFailed);
    }),
  );

  withConnectionOptions(
    audit
      .command('export')
      .description("stream the tenant's events as JSON lines")
      .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'jsonl')
      .option('--output <file>', 'write to a file (atomically) instead of stdout')
      .option('--category <category>', 'only this operation category')
      .option('--since <time>', 'events at or after this ISO 8601 time')
      .option('--until <time>', 'events before this ISO 8601 time'),
  ).action(
    action(async (opts: ExportOptions) => {
      const query = parseContract(
        ExportQuerySchema,
        { format: opts.format, category: opts.category, since: opts.since, until: opts.until },
        'audit export options',
      );
      await withClient(opts, async (c) => {
        const chunks = c.exportEvents(query);
        if (opts.output !== undefined) await writeStreamAtomic(opts.output, chunks);
        else for await (const chunk of chunks) process.stdout.write(chunk);
      });
    }),
  );

  withConnectionOptions(
    audit
      .command('proof')
      .description('inclusion proof (--index [--tree-size]) or consistency proof (--from [--to])')
      .option('--index <n>', 'leaf index for an inclusion proof')
      .option('--tree-size <n>', 'tree size of the inclusion proof (default: latest)')
      .option('--from <n>', 'older tree size for a consistency proof')
      .option('--to <n>', 'newer tree size (default: latest)'),
  ).action(
    action(async (opts: ProofOptions) => {
      if ((opts.index === undefined) === (opts.from === undefined)) {
        throw new ContractError(
          'contract.invalid',
          'give either --index (inclusion) or --from (consistency)',
        );
      }
      if (opts.index !== undefined) {
        const index = parseIndex(opts.index, '--index');
        const size = opts.treeSize === undefined ? undefined : parseIndex(opts.treeSize, '--tree-size');
        const p = await withClient(opts, (c) => c.inclusionProof(index, size));
        if (opts.json) return printJson(p);
        process.stdout.write(
          `inclusion of ${p.index} in tree size ${p.tree_size}\nleaf ${p.leaf_hash}\n${p.hashes.join('\n')}\n`,
        );
        return;
      }
      const from = parseIndex(opts.from ?? '', '--from');
      const to = opts.to === undefined ? undefined : parseIndex(opts.to, '--to');
      const p = await withClient(opts, (c) => c.consistencyProof(from, to));
      if (opts.json) return printJson(p);
      process.stdout.write(`consistency ${p.from_size} -> ${p.to_size}\n${p.hashes.join('\n')}\n`);
    }),
  );

  withConnectionOptions(
    audit
      .command('checkpoint')
      .description('print the latest signed checkpoint (save it to verify against later)')
      .option('--output <file>', 'write the checkpoint note to a file (atomically)'),
  ).action(
    action(async (opts: OutputOptions) => {
      const cp = await withClient(opts, (c) => c.checkpoint());
      if (opts.output !== undefined) await writeFileAtomic(opts.output, cp.text);
      if (opts.json) printJson(cp);
      else if (opts.output === undefined) process.stdout.write(cp.text);
      else process.stdout.write(`checkpoint of size ${cp.size} written to ${opts.output}\n`);
    }),
  );

  withConnectionOptions(
    audit
      .command('receipt')
      .description('an offline-verifiable receipt of one event (JSON)')
      .requiredOption('--index <n>', 'leaf index')
      .option('--output <file>', 'write the receipt to a file (atomically)'),
  ).action(
    action(async (opts: OutputOptions & { index: string }) => {
      const index = parseIndex(opts.index, '--index');
      const receipt = await withClient(opts, (c) => c.receipt(index));
      if (opts.output !== undefined) {
        await writeFileAtomic(opts.output, `${JSON.stringify(receipt, null, 2)}\n`);
        if (!opts.json) process.stdout.write(`receipt of entry ${index} written to ${opts.output}\n`);
        return;
      }
      printJson(receipt);
    }),
  );

  withConnectionOptions(
    audit.command('public-key').description('print the C2SP verifier key of checkpoint signatures'),
  ).action(
    action(async (opts: ConnectionOptions) => {
      const key = await withClient(opts, (c) => c.publicKey());
      if (opts.json) printJson(key);
      else process.stdout.write(`${key.verifier_key}\n`);
    }),
  );
}
