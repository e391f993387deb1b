import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// The package entry, as a user imports it (`import ... from 'tunegate'`).
import { Ledger, newEvent, openDatabase, SigningKey, scan, verifyReceipt } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tunegate-lib-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tunegate as a library', () => {
  it('records events in a ledger and issues receipts that verify offline', async () => {
    const db = openDatabase({ path: join(dir, 'lib.db') });
    const key = await SigningKey.loadOrCreate(join(dir, 'ledger.key'), 'lib.example/ledger');
    const ledger = await Ledger.open(db, { signer: key, origin: 'lib.example/ledger' });
    const event = newEvent(
      {
        operation: { category: 'training_run', name: 'start' },
        resource: { training_run: { run_id: 'r1', base_model: 'tiny', datasets: ['d1'], hyperparams: {} } },
        context: { orchestrator: 'test', risk_signals: { pii: false } },
      },
      { tenant: 'acme', actor: { id: 'alice', type: 'principal' } },
    );
    const [appended] = await ledger.append([event]);
    expect(appended?.index).toBe(0);
    const receipt = await ledger.receipt(0);
    expect(verifyReceipt(receipt, key.publicKey()).ok).toBe(true);
    expect((await ledger.verify()).ok).toBe(true);
    await db.close();
  });

  it('scans a dataset through the scan namespace', async () => {
    const file = join(dir, 'tiny.jsonl');
    const row = { instruction: 'Summarise the text.', input: 'Cats sleep a lot.', output: 'Cats sleep.' };
    writeFileSync(file, `${JSON.stringify(row)}\n${JSON.stringify(row)}\n`);
    const result = await scan.scanDataset(file, { detectors: ['exact-duplicate'], workers: 0 });
    expect(result.records).toBe(2);
    expect(result.report.findings.some((f) => f.detector === 'exact-duplicate')).toBe(true);
  });
});
