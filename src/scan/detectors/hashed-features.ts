import { fmix32, radixSort, wordHashes } from './minhash.js';

/**
 * Hashed bag-of-n-gram features (word unigrams and bigrams) into 2^bits
 * buckets, as a sorted unique Int32Array. At most `max` features are kept,
 * the ones with the smallest hashes, which is a consistent sample across
 * records (the same words survive in every record).
 */
export function hashedFeatures(text: string, bits = 18, max = 192): Int32Array {
  const words = wordHashes(text);
  const mask = (1 << bits) - 1;
  const n = Math.min(words.length, 4000);
  const feats = new Int32Array(Math.max(0, 2 * n - 1));
  let k = 0;
  for (let i = 0; i < n; i++) {
    const h = words[i] as number;
    feats[k++] = h & mask;
    if (i > 0) feats[k++] = fmix32(Math.imul(words[i - 1] as number, 31) ^ h) & mask;
  }
  // Sorted unique bucket ids via radix sort (a Set was the hot spot here).
  radixSort(feats);
  let w = 0;
  for (let i = 0; i < feats.length && w < max; i++)
    if (i === 0 || feats[i] !== feats[w - 1]) feats[w++] = feats[i] as number;
  return feats.slice(0, w);
}
