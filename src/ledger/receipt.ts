import { LedgerError } from './ledger-error.js';
import { hashLeaf, type InclusionProof, verifyInclusion } from './merkle-tree.js';
import { openCheckpoint, parseVerifierKey } from './signed-note.js';

/**
 * Offline proof that one event is in the log: the exact leaf bytes, the
 * inclusion proof and the signed checkpoint it leads to. Anyone holding the
 * log's public key can check it with {@link verifyReceipt}.
 */
export interface Receipt {
  index: number;
  /** The exact leaf entry bytes (canonical JSON of `{event, index}`). */
  entry: string;
  inclusion: InclusionProof;
  /** Signed checkpoint note the inclusion proof leads to. */
  checkpoint: string;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** Verifies a receipt with the log's C2SP verifier key only (no database). */
export function verifyReceipt(receipt: Receipt, publicKey: string): { ok: boolean; reason: string } {
  try {
    const cp = openCheckpoint(receipt.checkpoint, parseVerifierKey(publicKey));
    const { inclusion } = receipt;
    if (inclusion.index !== receipt.index)
      return { ok: false, reason: 'inclusion proof is for another index' };
    if (inclusion.treeSize !== cp.size) {
      return {
        ok: false,
        reason: `inclusion proof is for tree size ${inclusion.treeSize}, checkpoint is ${cp.size}`,
      };
    }
    let embedded: unknown;
    try {
      embedded = (JSON.parse(receipt.entry) as { index?: unknown }).index;
    } catch {
      return { ok: false, reason: 'entry is not valid JSON' };
    }
    if (embedded !== receipt.index)
      return { ok: false, reason: `entry is bound to index ${String(embedded)}` };
    const leaf = hashLeaf(receipt.entry);
    if (leaf.toString('hex') !== inclusion.leafHash)
      return { ok: false, reason: 'entry does not match the leaf hash' };
    if (!inclusion.hashes.every((h) => HEX_HASH.test(h))) {
      return { ok: false, reason: 'inclusion hashes must be 64 hex digits' };
    }
    const path = inclusion.hashes.map((h) => Buffer.from(h, 'hex'));
    if (!verifyInclusion(receipt.index, cp.size, leaf, path, cp.rootHash)) {
      return { ok: false, reason: 'inclusion proof does not lead to the checkpoint root' };
    }
    return { ok: true, reason: `entry ${receipt.index} is included in the signed tree of size ${cp.size}` };
  } catch (err) {
    if (err instanceof LedgerError) return { ok: false, reason: err.message };
    if (err instanceof TypeError) return { ok: false, reason: `malformed receipt: ${err.message}` };
    throw err;
  }
}
