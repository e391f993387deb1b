import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContractError } from '../contracts/error.js';
import type { EventEnvelope } from '../contracts/event.js';
import type { Database } from '../store/database.js';
import { createSqliteTarget, type TestDatabaseTarget } from '../store/test-support/test-databases.js';
import { canonicalJson } from './canonical-json.js';
import { newEvent } from './event-factory.js';
import { Ledger } from './ledger.js';
import { SigningKey } from './signing-key.js';
import { sampleEvent } from './test-support/ledger-fixtures.js';
import { validatedJson } from './validated-events.js';

const ORIGIN = 'tunegate.test/log';

describe('events from newEvent', () => {
  let target: TestDatabaseTarget;
  let db: Database;
  let ledger: Ledger;

  beforeEach(async () => {
    target = createSqliteTarget();
    db = target.open();
    ledger = await Ledger.open(db, { signer: SigningKey.generate(ORIGIN), origin: ORIGIN });
  });
  afterEach(async () => {
    await target.dispose();
  });

  const stored = async (index: number): Promise<string> => {
    const [row] = await db.query<{ entry: string }>('SELECT entry FROM ledger_entries WHERE idx = $1', [
      index,
    ]);
    return (row as { entry: string }).entry;
  };

  it('are deep-frozen copies sharing nothing with the input', () => {
    const input = {
      operation: { category: 'training_run' as const, name: 'start' },
      resource: { training_run: { run_id: 'r1', datasets: ['a'], when: new Date(0) } },
      context: { risk_signals: { pii: true } },
    };
    const event = newEvent(input, { tenant: 'acme', actor: { id: 'u', type: 'principal' } });
    const run = event.resource.training_run as { run_id: string; datasets: string[]; when: unknown };
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(run.datasets)).toBe(true);
    expect(Object.isFrozen(event.context.risk_signals)).toBe(true);
    expect(run.when).toBe('1970-01-01T00:00:00.000Z');
    expect(() => {
      (event as { tenant: string }).tenant = 'globex';
    }).toThrow(TypeError);
    expect(() => {
      run.datasets.push('evil');
    }).toThrow(TypeError);
    // The caller's input stays mutable and separate.
    input.resource.training_run.datasets.push('b');
    expect(run.datasets).toEqual(['a']);
    expect(validatedJson(event)).toBe(canonicalJson(event));
  });

  it('store the bytes that full validation of an equal event stores', async () => {
    const sealed = sampleEvent(0);
    const plain = structuredClone(sealed) as EventEnvelope;
    expect(validatedJson(sealed)).toBeDefined();
    expect(validatedJson(plain)).toBeUndefined();
    await ledger.append([sealed]);
    expect(await stored(0)).toBe(`{"event":${canonicalJson(plain)},"index":0}`);
  });

  it('append sealed and unsealed events to identical entries', async () => {
    const sealed = sampleEvent(1);
    const copy = { ...structuredClone(sealed), id: '3f0c1bde-6e0a-4c41-9d0a-7a51f3a9c001' } as EventEnvelope;
    await ledger.append([sealed, copy]);
    const first = JSON.parse(await stored(0)) as { event: EventEnvelope };
    const second = JSON.parse(await stored(1)) as { event: EventEnvelope };
    expect(first.event).toEqual(JSON.parse(validatedJson(sealed) as string));
    expect({ ...second.event, id: sealed.id }).toEqual(first.event);
  });

  it('validate anything derived from them in full', async () => {
    const sealed = sampleEvent(2);
    const spread = { ...sealed, tenant: 'Not A Slug' } as EventEnvelope;
    await expect(ledger.append([spread])).rejects.toBeInstanceOf(ContractError);
    const extra = { ...sealed, extra: 1 } as unknown as EventEnvelope;
    await expect(ledger.append([extra])).rejects.toBeInstanceOf(ContractError);
    const badOperation = {
      ...sealed,
      operation: { ...sealed.operation, name: 'not-an-operation' },
    } as EventEnvelope;
    await expect(ledger.append([badOperation])).rejects.toBeInstanceOf(ContractError);
    expect(await ledger.size()).toBe(0);
    await ledger.append([sealed]);
    expect(await ledger.size()).toBe(1);
  });
});
