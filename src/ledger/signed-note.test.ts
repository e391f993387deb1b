import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { formatCheckpointBody, openCheckpoint, parseVerifierKey, signNote } from './signed-note.js';
import { SigningKey } from './signing-key.js';

// The example key and note of the Go reference implementation (golang.org/x/mod/sumdb/note).
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('C2SP signed notes', () => {
  it('reproduces the Go reference key id, vkey and signature byte for byte', () => {
    const key = SigningKey.parse(GO_SKEY);
    expect(key.publicKey()).toBe(GO_VKEY);
    expect(key.privateKeyText()).toBe(GO_SKEY);
    expect(signNote(GO_TEXT, key)).toBe(GO_NOTE);
    expect(parseVerifierKey(GO_VKEY).keyId.toString('hex')).toBe('c74f20a3');
  });

  it('signs and opens checkpoints, rejecting tampering and foreign keys', () => {
    const key = SigningKey.generate('example.com/log');
    const vkey = parseVerifierKey(key.publicKey());
    expect(key.publicKey()).toMatch(/^example\.com\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const root = Buffer.alloc(32, 7);
    const note = signNote(formatCheckpointBody('example.com/log', 42, root), key);
    expect(note).toBe(
      `example.com/log\n42\n${root.toString('base64')}\n\n\u2014 example.com/log ${note.split(' ').pop()}`,
    );
    expect(openCheckpoint(note, vkey)).toEqual({ origin: 'example.com/log', size: 42, rootHash: root });
    const bad = (text: string): void => {
      expect(() => openCheckpoint(text, vkey)).toThrow(
        expect.objectContaining({ code: 'ledger.invalid_checkpoint' }),
      );
    };
    bad(note.replace('\n42\n', '\n43\n'));
    bad(note.replace('\n\n', '\n'));
    bad(note.slice(0, -1));
    bad('');
    const other = SigningKey.generate('example.com/log');
    bad(signNote(formatCheckpointBody('example.com/log', 42, root), other));
    bad(signNote('example.com/log\nnot-a-number\nAAAA\n', key));
    expect(() => parseVerifierKey('nonsense')).toThrow(
      expect.objectContaining({ code: 'ledger.invalid_key' }),
    );
    expect(() => parseVerifierKey(`${GO_VKEY.slice(0, -2)}AA`)).toThrow(
      expect.objectContaining({ code: 'ledger.invalid_key' }),
    );
    expect(() => SigningKey.generate('bad name')).toThrow(
      expect.objectContaining({ code: 'ledger.invalid_key' }),
    );
  });
});

describe('SigningKey.loadOrCreate', () => {
  it('creates a 0600 key once and loads the same key afterwards, also under concurrent creation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunegate-key-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'checkpoint.key');
    const keys = await Promise.all(
      Array.from({ length: 6 }, () => SigningKey.loadOrCreate(path, 'tunegate.test')),
    );
    const publics = new Set(keys.map((k) => k.publicKey()));
    expect(publics.size).toBe(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await SigningKey.loadOrCreate(path, 'tunegate.test');
    expect(again.publicKey()).toBe(keys[0]?.publicKey());
    expect((await readFile(path, 'utf8')).trim()).toBe(again.privateKeyText());
  });

  it('rejects a damaged key file naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunegate-key-'));
    dirs.push(dir);
    const path = join(dir, 'k');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, 'PRIVATE+KEY+x+00000000+AAAA\n');
    await expect(SigningKey.loadOrCreate(path, 'x')).rejects.toThrow(path);
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively, drops undefined and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x\n"' }, u: undefined })).toBe(
      '{"a":{"c":"x\\n\\"","d":[1,{"y":null,"z":true}]},"b":1}',
    );
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    // Integer-like keys sort as strings too ("10" < "9"), unlike JS enumeration order.
    expect(canonicalJson({ b: { 9: 'x', 10: 'y', a: [undefined] } })).toBe(
      '{"b":{"10":"y","9":"x","a":[null]}}',
    );
    expect(canonicalJson({ t: new Date(0) })).toBe('{"t":"1970-01-01T00:00:00.000Z"}');
  });
});
