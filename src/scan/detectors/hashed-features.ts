import { fmix32 } from './minhash.js';

/**
 * Hashed bag-of-n-gram features (word unigrams and bigrams) into 2^bits
 * buckets, as a sorted unique Int32Array. At most `max` features are kept,
 * the ones with the smallest hashes, which is a consistent sample across
 * records (the same words survive in every record).
 */
export function hashedFeatures(text: string, bits = 18, max = 192): Int32Array {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const mask = (1 << bits) - 1;
  const set = new Set<number>();
  let prev = 0;
  for (let i = 0; i < words.length && i < 4000; i++) {
    const w = words[i] as string;
    let h = 0x811c9dc5;
    for (let j = 0; j < w.length; j++) h = Math.imul(h ^ w.charCodeAt(j), 0x01000193);
    h = fmix32(h);
    set.add(h & mask);
    if (i > 0) set.add(fmix32(Math.imul(prev, 31) ^ h) & mask);
    prev = h;
  }
  const all = Int32Array.from(set).sort();
  return all.length > max ? all.slice(0, max) : all;
}
