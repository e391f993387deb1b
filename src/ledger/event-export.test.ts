import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../contracts/event.js';
import { createSqliteTarget } from '../store/test-support/test-databases.js';
import { toCloudEvent, toOpenLineageRunEvent, uuidV5 } from './event-export.js';
import { newEvent } from './event-factory.js';
import { Ledger } from './ledger.js';
import { SigningKey } from './signing-key.js';
import { sampleEvent } from './test-support/ledger-fixtures.js';

const ORIGIN = 'tunegate.test/export';
const candidate = process.env.TUNEGATE_SHARED_DIR ?? join(process.cwd(), '..', 'shared');
const sharedDir = existsSync(join(candidate, 'schemas')) ? candidate : undefined;
if (!sharedDir) console.info('notice: ../shared not found; export schema conformance tests are skipped');

function entry(
  index: number,
  category: string,
  name: string,
  resource: Record<string, unknown>,
): LedgerEntry {
  return {
    index,
    event: newEvent(
      { operation: { category, name } as never, resource },
      { tenant: 'acme', actor: { id: 'alice', type: 'principal' } },
    ),
  };
}

describe('event export mappings', () => {
  it('maps entries to CloudEvents with type, source, subject and the event as data', () => {
    const e = entry(4, 'training_run', 'start', { training_run: { run_id: 'run-7', base_model: 'm' } });
    const ce = toCloudEvent(e, ORIGIN);
    expect(ce).toMatchObject({
      specversion: '1.0',
      id: e.event.id,
      source: 'tunegate://tunegate.test/export',
      type: 'dev.tunegate.training_run.start',
      time: e.event.time,
      subject: 'run-7',
      datacontenttype: 'application/json',
      tunegateindex: 4,
      data: e.event,
    });
  });

  it('maps run lifecycle names to OpenLineage event types with a stable run id', () => {
    const run = (name: string, extra: Record<string, unknown> = {}) =>
      toOpenLineageRunEvent(
        entry(0, 'training_run', name, {
          training_run: {
            run_id: 'ft-42',
            base_model: 'llama',
            datasets: ['tickets@3', { name: 'faq' }],
            ...extra,
          },
        }),
        ORIGIN,
      );
    expect(run('start')?.eventType).toBe('START');
    expect(run('heartbeat')?.eventType).toBe('RUNNING');
    expect(run('end')?.eventType).toBe('COMPLETE');
    expect(run('end', { status: 'failed' })?.eventType).toBe('FAIL');
    expect(run('end', { status: 'cancelled' })?.eventType).toBe('ABORT');
    expect(run('request')?.eventType).toBe('OTHER');
    const ids = new Set(['start', 'end', 'anomaly'].map((n) => run(n)?.run.runId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe(uuidV5('acme/training_run/ft-42'));
    expect(run('start')?.inputs.map((d) => d.name)).toEqual(['tickets@3', 'faq', 'llama']);
    const uuid = '0b8a2a43-6b43-4b8e-9a62-7d0c2b5e9f10';
    expect(
      toOpenLineageRunEvent(entry(0, 'training_run', 'start', { training_run: { run_id: uuid } }), ORIGIN)
        ?.run.runId,
    ).toBe(uuid);
    expect(toOpenLineageRunEvent(entry(0, 'access', 'init', {}), ORIGIN)).toBeNull();
    // RFC 9562 UUIDv5 test vector: "www.example.com" in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });
});

describe.skipIf(!sharedDir)('exports conform to the official schemas', () => {
  it('every cloudevents and openlineage line validates', async () => {
    const schemas = join(sharedDir as string, 'schemas');
    const ajv7 = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv7);
    const validateCe = ajv7.compile(JSON.parse(readFileSync(join(schemas, 'cloudevents-1.0.json'), 'utf8')));
    const ajv20 = new Ajv2020.default({ strict: false, allErrors: true });
    addFormats.default(ajv20);
    const validateOl = ajv20.compile(
      JSON.parse(readFileSync(join(schemas, 'openlineage-2-0-2.json'), 'utf8')),
    );

    const target = createSqliteTarget();
    try {
      const ledger = await Ledger.open(target.open(), {
        signer: SigningKey.generate(ORIGIN),
        origin: ORIGIN,
      });
      await ledger.append(Array.from({ length: 24 }, (_, i) => sampleEvent(i)));
      await ledger.append([
        newEvent(
          {
            operation: { category: 'dataset_ingest', name: 'scan' },
            resource: { dataset_ingest: { name: 'x y/z' } },
          },
          { tenant: 'acme', actor: { id: 'svc', type: 'system' } },
        ),
        newEvent(
          { operation: { category: 'training_run', name: 'anomaly' }, resource: {} },
          {
            tenant: 'acme',
            actor: { id: 'r', type: 'runner' },
          },
        ),
      ]);
      let ce = 0;
      for await (const line of ledger.export('cloudevents', { tenant: 'acme' })) {
        const doc = JSON.parse(line);
        expect(validateCe(doc), JSON.stringify(validateCe.errors)).toBe(true);
        ce++;
      }
      expect(ce).toBe(26);
      let ol = 0;
      for await (const line of ledger.export('openlineage', { tenant: 'acme' })) {
        const doc = JSON.parse(line);
        expect(validateOl(doc), JSON.stringify(validateOl.errors)).toBe(true);
        ol++;
      }
      // access events have no lineage mapping
      expect(ol).toBe(26 - 6);
    } finally {
      await target.dispose();
    }
  });
});
