import { createHash, randomBytes } from 'node:crypto';

/** Every API token starts with this, so secret scanners and humans recognise it. */
export const TOKEN_PREFIX = 'tg_';
const TOKEN_RE = /^tg_[A-Za-z0-9_-]{43}$/;

/** A fresh token secret: `tg_` + 256 random bits, base64url. Shown once, never stored. */
export function generateTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** True when `text` has the shape of a token (cheap pre-check before a lookup). */
export function looksLikeToken(text: string): boolean {
  return TOKEN_RE.test(text);
}

/**
 * The stored form of a token: SHA-256 hex. A fast hash is right here (unlike
 * passwords) because the secret has 256 bits of entropy and cannot be guessed.
 */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
