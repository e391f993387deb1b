import { createHash, createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import { LedgerError } from './ledger-error.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note) carrying C2SP tlog
 * checkpoints (https://c2sp.org/tlog-checkpoint), Ed25519 only.
 */

/** Signature algorithm byte for Ed25519 in C2SP key ids and vkeys. */
const ALG_ED25519 = 0x01;
/** The signature line prefix: EM DASH (U+2014) and a space. */
const SIG_PREFIX = '\u2014 ';

/** Produces the signature line of a note: what `SigningKey` implements. */
export interface CheckpointSigner {
  /** Key name, shown on the signature line (conventionally the log origin). */
  readonly name: string;
  /** 4-byte C2SP key id. */
  readonly keyId: Uint8Array;
  /** Ed25519 signature over `message` (the note text). */
  sign(message: Uint8Array): Uint8Array;
  /** The C2SP verifier key text, `<name>+<hex key id>+<base64(0x01||pubkey)>`. */
  publicKey(): string;
}

/** A checkpoint as returned by the ledger. */
export interface SignedCheckpoint {
  size: number;
  /** Hex root hash. */
  rootHash: string;
  /** The signed note text (checkpoint body, blank line, signature line). */
  text: string;
}

/** A parsed checkpoint body. */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
}

/** Key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key). */
export function ed25519KeyId(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, ALG_ED25519]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

/** Checks a key name as C2SP requires: non-empty, no whitespace and no '+'. */
export function assertKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name)) {
    throw new LedgerError(
      'ledger.invalid_key',
      `invalid key name "${name}": must be non-empty, no spaces or "+"`,
    );
  }
}

/** Formats the vkey text of an Ed25519 key. */
export function formatVerifierKey(name: string, rawPublicKey: Uint8Array): string {
  const keyId = ed25519KeyId(name, rawPublicKey).toString('hex');
  return `${name}+${keyId}+${Buffer.concat([Buffer.from([ALG_ED25519]), rawPublicKey]).toString('base64')}`;
}

/** A parsed verifier key. */
export interface VerifierKey {
  name: string;
  keyId: Buffer;
  key: KeyObject;
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Parses C2SP vkey text; throws `ledger.invalid_key` when malformed. */
export function parseVerifierKey(vkey: string): VerifierKey {
  const parts = vkey.trim().split('+');
  const [name, hexId] = parts;
  const b64 = parts.slice(2).join('+'); // base64 may itself contain '+'
  if (parts.length < 3 || !name || !hexId || !b64 || !/^[0-9a-f]{8}$/.test(hexId)) {
    throw new LedgerError('ledger.invalid_key', 'verifier key must be "<name>+<8 hex key id>+<base64 key>"');
  }
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 33 || raw[0] !== ALG_ED25519) {
    throw new LedgerError('ledger.invalid_key', 'verifier key is not an Ed25519 (type 0x01, 32-byte) key');
  }
  const pub = raw.subarray(1);
  const keyId = ed25519KeyId(name, pub);
  if (keyId.toString('hex') !== hexId) {
    throw new LedgerError('ledger.invalid_key', 'verifier key id does not match its name and key');
  }
  const key = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, pub]),
    format: 'der',
    type: 'spki',
  });
  return { name, keyId, key };
}

/** Formats a checkpoint body (origin, size, base64 root, each ending with a newline). */
export function formatCheckpointBody(origin: string, size: number, rootHash: Uint8Array): string {
  return `${origin}\n${size}\n${Buffer.from(rootHash).toString('base64')}\n`;
}

/** Signs a note body and returns the full note text. */
export function signNote(body: string, signer: CheckpointSigner): string {
  const sig = Buffer.concat([Buffer.from(signer.keyId), Buffer.from(signer.sign(Buffer.from(body, 'utf8')))]);
  return `${body}\n${SIG_PREFIX}${signer.name} ${sig.toString('base64')}\n`;
}

/**
 * Verifies a signed note against one key and parses its checkpoint body.
 * Throws `ledger.invalid_checkpoint` naming what is wrong.
 */
export function openCheckpoint(note: string, key: VerifierKey): Checkpoint {
  const fail = (why: string): never => {
    throw new LedgerError('ledger.invalid_checkpoint', `invalid checkpoint: ${why}`);
  };
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) fail('not a signed note (missing blank line or final newline)');
  const body = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2, -1).split('\n');
  let verified = false;
  for (const line of sigLines) {
    if (!line.startsWith(SIG_PREFIX)) fail(`malformed signature line "${line.slice(0, 40)}"`);
    const [name, b64, ...rest] = line.slice(SIG_PREFIX.length).split(' ');
    if (!name || !b64 || rest.length > 0) fail('malformed signature line');
    if (name !== key.name) continue;
    const sig = Buffer.from(b64 as string, 'base64');
    if (sig.length !== 68 || !sig.subarray(0, 4).equals(key.keyId)) continue;
    if (verifySignature(null, Buffer.from(body, 'utf8'), key.key, sig.subarray(4))) verified = true;
    else fail(`signature by ${name} does not verify`);
  }
  if (!verified) fail(`no valid signature by key ${key.name}`);
  const lines = body.slice(0, -1).split('\n');
  const [origin, sizeText, rootText] = lines;
  if (!origin || sizeText === undefined || rootText === undefined)
    fail('body must have origin, size and root hash lines');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText as string)) fail(`size "${sizeText}" is not a decimal number`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) fail('size is too large');
  const rootHash = Buffer.from(rootText as string, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== rootText)
    fail('root hash is not base64 of 32 bytes');
  return { origin: origin as string, size, rootHash };
}
