/**
 * The tamper-evident audit ledger: RFC 9162 Merkle tree of events, C2SP signed
 * checkpoints, proofs, offline receipts, verification and exports.
 */
export { canonicalJson } from './canonical-json.js';
export { exportLine, toCloudEvent, toOpenLineageRunEvent } from './event-export.js';
export { newEvent, resourceIdOf } from './event-factory.js';
export { type EventQuery, EventQuerySchema, MAX_QUERY_LIMIT } from './event-query.js';
export { type AppendedEntry, type ExportFormat, Ledger, type LedgerOptions } from './ledger.js';
export { LedgerError, type LedgerErrorCode } from './ledger-error.js';
export type { VerifyResult } from './ledger-verifier.js';
export {
  type ConsistencyProof,
  EMPTY_ROOT,
  hashChildren,
  hashLeaf,
  type InclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './merkle-tree.js';
export { type Receipt, verifyReceipt } from './receipt.js';
export {
  type Checkpoint,
  type CheckpointSigner,
  openCheckpoint,
  parseVerifierKey,
  type SignedCheckpoint,
  type VerifierKey,
} from './signed-note.js';
export { SigningKey } from './signing-key.js';
