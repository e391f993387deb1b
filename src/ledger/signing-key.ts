import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LedgerError } from './ledger-error.js';
import { assertKeyName, type CheckpointSigner, ed25519KeyId, formatVerifierKey } from './signed-note.js';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The log's Ed25519 checkpoint key. Stored as a C2SP-style private key line
 * `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>`, file mode 0600.
 */
export class SigningKey implements CheckpointSigner {
  readonly keyId: Uint8Array;
  private readonly rawPublic: Buffer;

  private constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
  ) {
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
    this.rawPublic = Buffer.from(jwk.x as string, 'base64url');
    this.keyId = ed25519KeyId(name, this.rawPublic);
  }

  /** A key from a 32-byte Ed25519 seed (for tests and key import). */
  static fromSeed(name: string, seed: Uint8Array): SigningKey {
    assertKeyName(name);
    if (seed.length !== 32) throw new LedgerError('ledger.invalid_key', 'Ed25519 seed must be 32 bytes');
    const key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    return new SigningKey(name, key);
  }

  /** A fresh random key (not persisted). */
  static generate(name: string): SigningKey {
    return SigningKey.fromSeed(name, randomBytes(32));
  }

  /** Parses the private key file text. */
  static parse(text: string, source = 'signing key'): SigningKey {
    const parts = text.trim().split('+');
    const [p0, p1, name, hexId] = parts;
    const b64 = parts.slice(4).join('+'); // base64 may itself contain '+'
    if (parts.length < 5 || p0 !== 'PRIVATE' || p1 !== 'KEY' || !name || !hexId || !b64) {
      throw new LedgerError('ledger.invalid_key', `${source}: not a "PRIVATE+KEY+<name>+<id>+<key>" line`);
    }
    const raw = Buffer.from(b64, 'base64');
    if (raw.length !== 33 || raw[0] !== 0x01) {
      throw new LedgerError('ledger.invalid_key', `${source}: not an Ed25519 private key`);
    }
    const key = SigningKey.fromSeed(name, raw.subarray(1));
    if (Buffer.from(key.keyId).toString('hex') !== hexId) {
      throw new LedgerError('ledger.invalid_key', `${source}: key id does not match the key`);
    }
    return key;
  }

  /**
   * Loads the key at `path`, or creates it when the file does not exist. Creation is
   * atomic and race-free across processes: the key is written to a private temp file
   * (mode 0600) and hard-linked into place, so a concurrent creator loses the race and
   * loads the winner's key instead of overwriting it.
   */
  static async loadOrCreate(path: string, name: string): Promise<SigningKey> {
    try {
      return SigningKey.parse(await readFile(path, 'utf8'), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const key = SigningKey.generate(name);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${key.privateKeyText()}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return SigningKey.parse(await readFile(path, 'utf8'), path);
    } finally {
      await unlink(tmp);
    }
    return key;
  }

  /** The private key line (secret: write only to a 0600 file). */
  privateKeyText(): string {
    const jwk = this.privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d as string, 'base64url');
    const hexId = Buffer.from(this.keyId).toString('hex');
    return `PRIVATE+KEY+${this.name}+${hexId}+${Buffer.concat([Buffer.from([0x01]), seed]).toString('base64')}`;
  }

  /** The C2SP verifier key text. */
  publicKey(): string {
    return formatVerifierKey(this.name, this.rawPublic);
  }

  sign(message: Uint8Array): Uint8Array {
    return sign(null, message, this.privateKey);
  }
}
