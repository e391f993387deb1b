import type { Command } from 'commander';
import { EventListQuerySchema } from '../../contracts/api.js';
import { ContractError } from '../../contracts/error.js';
import { type EventInput, EventInputSchema, type LedgerEntry } from '../../contracts/event.js';
import { parseContract } from '../../contracts/validate.js';
import { type ConnectionOptions, withClient, withConnectionOptions } from '../client-connection.js';
import { action, printJson } from '../command-output.js';
import { readInput } from '../input-file.js';

interface ListOptions extends ConnectionOptions {
  category?: string;
  name?: string;
  actor?: string;
  since?: string;
  until?: string;
  resourceId?: string;
  cursor?: string;
  limit: string;
}

interface AppendOptions extends ConnectionOptions {
  file?: string;
  event?: string;
}

/** Registers `tunegate events list|append`. */
export function register(program: Command): void {
  const events = program.command('events').description('append and query audit events');

  withConnectionOptions(
    events
      .command('list')
      .description("list the tenant's events in log order")
      .option('--category <category>', 'operation category, e.g. training_run')
      .option('--name <name>', 'operation name, e.g. start')
      .option('--actor <id>', 'actor id')
      .option('--since <time>', 'at or after this ISO 8601 time')
      .option('--until <time>', 'before this ISO 8601 time')
      .option('--resource-id <id>', 'id of the resource the event is about')
      .option('--cursor <cursor>', 'continue after a previous page')
      .option('--limit <n>', 'page size (1-1000)', '100'),
  ).action(
    action(async (opts: ListOptions) => {
      const query = parseContract(
        EventListQuerySchema,
        {
          category: opts.category,
          name: opts.name,
          actor: opts.actor,
          since: opts.since,
          until: opts.until,
          resource_id: opts.resourceId,
          cursor: opts.cursor,
          limit: opts.limit,
        },
        'events list options',
      );
      const page = await withClient(opts, (c) => c.queryEvents(query));
      if (opts.json) return printJson(page);
      for (const entry of page.entries) process.stdout.write(`${formatEntry(entry)}\n`);
      if (page.entries.length === 0) process.stdout.write('no events\n');
      if (page.next_cursor !== null) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
    }),
  );

  withConnectionOptions(
    events
      .command('append')
      .description('append events: a JSON object, an array, {"events": [...]} or JSON lines')
      .option('--file <file>', 'read events from a file ("-" for stdin)')
      .option('--event <json>', 'one event as inline JSON'),
  ).action(
    action(async (opts: AppendOptions) => {
      if ((opts.file === undefined) === (opts.event === undefined)) {
        throw new ContractError('contract.invalid', 'give exactly one of --file or --event');
      }
      const [text, source] =
        opts.event !== undefined
          ? [opts.event, '--event']
          : [await readInput(opts.file ?? '-', '--file'), opts.file ?? '-'];
      const inputs = parseEvents(text, source);
      const result = await withClient(opts, (c) => c.appendEvents(inputs));
      if (opts.json) return printJson(result);
      for (const a of result.appended) process.stdout.write(`appended #${a.index} ${a.id}\n`);
    }),
  );
}

/**
 * Parses events from text: one JSON document (object, array or `{events}`) or
 * JSON lines. Every event is validated here, so errors name the file, line and field.
 */
export function parseEvents(text: string, source: string): EventInput[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new ContractError('contract.invalid', `${source}: no events`);
  let doc: unknown;
  let whole = true;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    whole = false;
  }
  if (whole) {
    const list = Array.isArray(doc)
      ? doc
      : typeof doc === 'object' && doc !== null && 'events' in doc
        ? (doc as { events: unknown }).events
        : [doc];
    if (!Array.isArray(list) || list.length === 0) {
      throw new ContractError('contract.invalid', `${source}: "events" must be a non-empty array`);
    }
    return list.map((e, i) => parseContract(EventInputSchema, e, `${source}: event ${i}`));
  }
  const out: EventInput[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ContractError(
        'contract.invalid',
        `${source}:${i + 1}: invalid JSON: ${(err as Error).message}`,
      );
    }
    out.push(parseContract(EventInputSchema, value, `${source}:${i + 1}`));
  }
  return out;
}

function formatEntry({ index, event }: LedgerEntry): string {
  return `#${index}  ${event.time}  ${event.actor.id}  ${event.operation.category}.${event.operation.name}  ${JSON.stringify(event.resource)}`;
}
