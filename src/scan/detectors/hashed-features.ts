import { fmix32, wordHashes } from './minhash.js';

/**
 * Hashed bag-of-n-gram features (word unigrams and bigrams) into 2^bits
 * buckets, as a sorted unique Int32Array. At most `max` features are kept,
 * the ones with the smallest hashes, which is a consistent sample across
 * records (the same words survive in every record).
 */
export function hashedFeatures(text: string, bits = 18, max = 192): Int32Array {
  const words = wordHashes(text);
  const mask = (1 << bits) - 1;
  const set = new Set<number>();
  let prev = 0;
  for (let i = 0; i < words.length && i < 4000; i++) {
    const h = words[i] as number;
    set.add(h & mask);
    if (i > 0) set.add(fmix32(Math.imul(prev, 31) ^ h) & mask);
    prev = h;
  }
  const all = Int32Array.from(set).sort();
  return all.length > max ? all.slice(0, max) : all;
}
