import { crc32, inflateRawSync } from 'node:zlib';
import type { Finding, Severity } from '../../contracts/finding.js';
import { artifactFinding } from '../artifact-finding.js';
import type { ByteRange } from '../file-range.js';

/**
 * A small strict ZIP reader for checkpoint containers (PyTorch `torch.save`
 * zips, `.npz`). Hand-written because general unzip libraries read the central
 * directory only and paper over the inconsistencies we must report: local and
 * central names or flags that differ (two tools see two different archives),
 * CRC mismatches, overlapping members, encryption, data smuggled before or
 * between members.
 */

/** One member of the archive, as the central directory describes it. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  /** Absolute offset of the member's (compressed) data; -1 when the local header is unreadable. */
  dataStart: number;
}

/** Result of {@link readZip}. */
export interface ZipListing {
  entries: ZipEntry[];
  findings: Finding[];
  /** False when no central directory could be read (not a usable zip). */
  readable: boolean;
}

const MAX_ENTRIES = 1_000_000;
/** Members larger than this are not inflated in memory for inspection. */
export const MAX_INFLATE_BYTES = 256 << 20;

/** Reads the central directory and every local header of the zip in `file`, checking their agreement. */
export function readZip(file: ByteRange, display: string, verifyCrc = true): ZipListing {
  const findings: Finding[] = [];
  const flag = (rule: string, severity: Severity, message: string, field?: string) =>
    findings.push(
      artifactFinding({
        detector: 'container',
        rule,
        severity,
        file: display,
        field: field ?? null,
        message,
      }),
    );
  const out: ZipListing = { entries: [], findings, readable: false };

  const tailLen = Math.min(file.size, 22 + 65535);
  const tail = file.read(file.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    flag('zip_no_directory', 'high', 'zip has no end-of-central-directory record');
    return out;
  }
  const eocdAbs = file.size - tailLen + eocd;
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const commentLen = tail.readUInt16LE(eocd + 20);
  if (eocdAbs + 22 + commentLen !== file.size)
    flag(
      'zip_trailing_data',
      'medium',
      `${file.size - eocdAbs - 22 - commentLen} bytes after the end-of-central-directory record`,
    );
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocdAbs - 20 >= 0 ? file.read(eocdAbs - 20, 20) : Buffer.alloc(0);
    if (loc.length === 20 && loc.readUInt32LE(0) === 0x07064b50) {
      const z64Off = Number(loc.readBigUInt64LE(8));
      const z = z64Off + 56 <= file.size ? file.read(z64Off, 56) : Buffer.alloc(0);
      if (z.length === 56 && z.readUInt32LE(0) === 0x06064b50) {
        count = safe(z.readBigUInt64LE(32));
        cdSize = safe(z.readBigUInt64LE(40));
        cdOffset = safe(z.readBigUInt64LE(48));
      } else {
        flag('zip_bad_zip64', 'high', 'zip64 end-of-central-directory record is missing or out of bounds');
        return out;
      }
    }
  }
  if (count > MAX_ENTRIES || cdOffset + cdSize > file.size || cdSize < count * 46) {
    flag(
      'zip_bad_directory',
      'high',
      `central directory (${count} entries, ${cdSize} bytes at ${cdOffset}) does not fit the file`,
    );
    return out;
  }
  const cd = file.read(cdOffset, cdSize);
  let p = 0;
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) {
      flag('zip_bad_directory', 'high', `central directory entry ${i} is malformed`);
      return out;
    }
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const cLen = cd.readUInt16LE(p + 32);
    let localOffset = cd.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + cLen > cd.length) {
      flag('zip_bad_directory', 'high', `central directory entry ${i} runs past the directory`);
      return out;
    }
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // Zip64 extended information: only the fields that overflowed are present, in this order.
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const len = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          if (q + 8 > e + 4 + len || q + 8 > extra.length) return 0xffffffff;
          const v = safe(extra.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      e += 4 + len;
    }
    p += 46 + nameLen + extraLen + cLen;
    const entry: ZipEntry = { name, method, flags, crc, compressedSize, size, localOffset, dataStart: -1 };
    out.entries.push(entry);
    if (names.has(name))
      flag('zip_duplicate_name', 'high', `member ${JSON.stringify(name)} appears twice`, name);
    names.add(name);
    if (name.startsWith('/') || name.split(/[\\/]/).includes('..') || /^[A-Za-z]:/.test(name))
      flag(
        'zip_path_traversal',
        'high',
        `member name ${JSON.stringify(name)} escapes the extraction directory`,
        name,
      );
    if (flags & 0x1)
      flag(
        'zip_encrypted',
        'high',
        `member ${JSON.stringify(name)} is encrypted and cannot be inspected`,
        name,
      );
    if (method !== 0 && method !== 8)
      flag(
        'zip_unsupported_method',
        'high',
        `member ${JSON.stringify(name)} uses compression method ${method}; it cannot be inspected`,
        name,
      );
    if (method === 8 && compressedSize > 0 && size / compressedSize > 1000 && size > 64 << 20)
      flag(
        'zip_bomb',
        'high',
        `member ${JSON.stringify(name)} inflates ${compressedSize} bytes to ${size}`,
        name,
      );

    // Local header must agree with the central directory.
    if (localOffset + 30 > file.size) {
      flag(
        'zip_bad_local_header',
        'high',
        `local header of ${JSON.stringify(name)} is outside the file`,
        name,
      );
      continue;
    }
    const lh = file.read(localOffset, 30);
    if (lh.readUInt32LE(0) !== 0x04034b50) {
      flag(
        'zip_bad_local_header',
        'high',
        `no local header at offset ${localOffset} for ${JSON.stringify(name)}`,
        name,
      );
      continue;
    }
    const lFlags = lh.readUInt16LE(6);
    const lMethod = lh.readUInt16LE(8);
    const lNameLen = lh.readUInt16LE(26);
    const lExtraLen = lh.readUInt16LE(28);
    const lName = file.read(localOffset + 30, lNameLen).toString(lFlags & 0x800 ? 'utf8' : 'latin1');
    if (lName !== name)
      flag(
        'zip_name_mismatch',
        'high',
        `local header names ${JSON.stringify(lName)} but the central directory names ${JSON.stringify(name)}`,
        name,
      );
    if ((lFlags & ~0x8) !== (flags & ~0x8) || lMethod !== method)
      flag(
        'zip_header_mismatch',
        'medium',
        `local and central headers of ${JSON.stringify(name)} disagree on flags or method`,
        name,
      );
    if (!(lFlags & 0x8)) {
      const lCrc = lh.readUInt32LE(14);
      if (lCrc !== crc)
        flag(
          'zip_header_mismatch',
          'medium',
          `local and central CRC-32 of ${JSON.stringify(name)} differ`,
          name,
        );
    }
    entry.dataStart = localOffset + 30 + lNameLen + lExtraLen;
    if (entry.dataStart + compressedSize > file.size) {
      flag('zip_truncated', 'high', `data of ${JSON.stringify(name)} runs past the end of the file`, name);
      entry.dataStart = -1;
    }
  }

  // Overlapping members (a classic zip-bomb / polyglot trick) and unexplained gaps.
  const spans = out.entries.filter((e) => e.dataStart >= 0).sort((a, b) => a.localOffset - b.localOffset);
  let cursor = 0;
  for (const e of spans) {
    if (e.localOffset < cursor)
      flag('zip_overlap', 'high', `member ${JSON.stringify(e.name)} overlaps the previous member`, e.name);
    else if (e.localOffset > cursor)
      flag(
        'zip_hidden_data',
        'medium',
        `${e.localOffset - cursor} bytes at offset ${cursor} belong to no member`,
        e.name,
      );
    cursor = Math.max(cursor, e.dataStart + e.compressedSize);
    // Skip an optional data descriptor (signature or not, 12-24 bytes) before judging gaps.
    if (e.flags & 0x8) {
      const d = file.read(cursor, 4);
      cursor += d.length === 4 && d.readUInt32LE(0) === 0x08074b50 ? 4 : 0;
      cursor += e.compressedSize >= 0xffffffff || e.size >= 0xffffffff ? 20 : 12;
    }
  }
  if (spans.length > 0 && cursor < cdOffset)
    flag(
      'zip_hidden_data',
      'medium',
      `${cdOffset - cursor} bytes between the last member and the central directory`,
    );

  if (verifyCrc) {
    for (const e of out.entries) {
      if (e.dataStart < 0 || e.flags & 0x1) continue;
      const actual = entryCrc(file, e);
      if (actual !== null && actual !== e.crc)
        flag(
          'zip_crc_mismatch',
          'high',
          `CRC-32 of ${JSON.stringify(e.name)} is ${hex(actual)}, directory says ${hex(e.crc)}`,
          e.name,
        );
    }
  }
  out.readable = true;
  return out;
}

function safe(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** CRC-32 of a member's uncompressed bytes (streamed for stored members), or null if not computable. */
function entryCrc(file: ByteRange, e: ZipEntry): number | null {
  if (e.method === 0) {
    let crc = 0;
    const chunk = Buffer.allocUnsafe(Math.min(8 << 20, Math.max(1, e.compressedSize)));
    for (let off = 0; off < e.compressedSize; off += chunk.length) {
      crc = crc32(file.read(e.dataStart + off, Math.min(chunk.length, e.compressedSize - off), chunk), crc);
    }
    return crc;
  }
  if (e.method === 8) {
    const data = entryBytes(file, e);
    return data === null ? null : crc32(data);
  }
  return null;
}

/**
 * A member's uncompressed bytes, or null when it is too large to hold in memory
 * (above {@link MAX_INFLATE_BYTES}), encrypted, or not inflatable.
 */
export function entryBytes(file: ByteRange, e: ZipEntry): Buffer | null {
  if (e.dataStart < 0 || e.flags & 0x1 || e.size > MAX_INFLATE_BYTES) return null;
  if (e.method === 0) return file.read(e.dataStart, e.compressedSize);
  if (e.method !== 8 || e.compressedSize > MAX_INFLATE_BYTES) return null;
  try {
    return inflateRawSync(file.read(e.dataStart, e.compressedSize), { maxOutputLength: MAX_INFLATE_BYTES });
  } catch {
    return null;
  }
}
