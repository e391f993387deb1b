import { seededRandom } from './pii-fuzz.js';

/**
 * Seeded random texts for checking the secrets detector's fast path against its reference:
 * provider prefixes, key blocks, service-account JSON, connection strings and secret-like
 * assignments, glued to random runs of token alphabets (lengths around the patterns' bounds).
 */

export { seededRandom };

const FRAGMENTS = [
  'AKIA',
  'ASIA',
  'AIDA',
  'AROA',
  'AIza',
  'AccountKey=',
  'Q~',
  '8Q~',
  '?sig=',
  '&sig=',
  'ghp_',
  'gho_',
  'ghs_',
  'github_pat_',
  'glpat-',
  'xoxb-',
  'xoxp-123456789012-',
  'https://hooks.slack.com/services/T',
  '/B',
  'sk_live_',
  'rk_test_',
  'sk-ant-api03-',
  'sk-ant-admin01-',
  'sk-',
  'sk-proj-',
  'T3BlbkFJ',
  'hf_',
  'npm_',
  'SG.',
  'SK',
  'eyJ',
  'eyJhbGciOiJIUzI1NiJ9',
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9',
  '.',
  '.',
  '-',
  '_',
  '~',
  '%3D',
  '==',
  '=',
  '=',
  ':',
  ':',
  ' = ',
  '=>',
  ':=',
  ': ',
  '"',
  "'",
  ' ',
  ' ',
  '\n',
  '\t',
  '  ',
  '&',
  '?',
  '/',
  '+',
  '-----BEGIN RSA PRIVATE KEY-----',
  '-----END RSA PRIVATE KEY-----',
  '-----BEGIN PRIVATE KEY-----',
  '-----END PRIVATE KEY-----',
  '-----BEGIN PGP PRIVATE KEY BLOCK-----',
  '"type": "service_account"',
  '"type":"service_account",',
  '"private_key": "',
  '"private_key_id":"',
  'postgres://',
  'mongodb+srv://',
  'redis://',
  'https://',
  'http://',
  'ftp://',
  'smtp://',
  'user',
  ':',
  '@',
  'db.internal',
  `${'$'}{PW}`,
  'changeme',
  'password',
  'Password',
  'PASSWD',
  'pwd',
  'pass',
  'secret',
  'api_key',
  'apiKey',
  'x-api-key',
  'API-KEY',
  'access_token',
  'auth-token',
  'Bearer',
  'token',
  'secret_key',
  'client_secret',
  'credentials',
  'my_',
  'aws_secret_access_key',
  'AWS_SECRET_KEY',
  'awssecretkey',
  'getPassword()',
  'settings.SECRET',
  'the',
  'and',
];

const ALPHABETS = [
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
  '0123456789abcdef',
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
  '0123456789',
  'aB3$xY!9#qZ',
];
const LENGTHS = [3, 8, 10, 12, 16, 20, 22, 24, 32, 34, 35, 36, 40, 43, 48, 60, 86, 93, 100];

function run(rnd: () => number, alphabet: string, len: number): string {
  let s = '';
  for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Whole values of the patterns with random bodies (often valid, sometimes a character off). */
function shaped(rnd: () => number): string {
  const alnum = ALPHABETS[1] as string;
  const k = Math.floor(rnd() * 8);
  const extra = rnd() < 0.2 ? 1 : 0;
  if (k === 0) return `AKIA${run(rnd, ALPHABETS[0] as string, 16 + extra)}`;
  if (k === 1) return `postgres://app:${run(rnd, alnum, 12)}@db.internal:5432/prod`;
  if (k === 2)
    return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'u1' })}.${run(rnd, alnum, 43)}`;
  if (k === 3) return `${run(rnd, alnum, 3)}${extra}Q~${run(rnd, alnum, 32)}`;
  if (k === 4) return `hf_${run(rnd, ALPHABETS[5] as string, 34 + extra)}`;
  if (k === 5) return `SK${run(rnd, ALPHABETS[4] as string, 32 + extra)}`;
  if (k === 6) return `aws_secret_access_key = ${run(rnd, ALPHABETS[3] as string, 40 + extra)}`;
  return `AIza${run(rnd, ALPHABETS[2] as string, 35 + extra)}`;
}

/** One random text of up to `maxParts` fragments. */
export function fuzzSecretText(rnd: () => number, maxParts = 30): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(rnd() * maxParts);
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.06) parts.push(shaped(rnd));
    else if (rnd() < 0.4) {
      const alphabet = ALPHABETS[Math.floor(rnd() * ALPHABETS.length)] as string;
      const len = (LENGTHS[Math.floor(rnd() * LENGTHS.length)] as number) + (rnd() < 0.3 ? 1 : 0);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      parts.push(s);
    } else parts.push(FRAGMENTS[Math.floor(rnd() * FRAGMENTS.length)] as string);
  }
  return parts.join('');
}
