import { isIPv6 } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Severity } from '../../contracts/finding.js';
import type { DatasetRecord } from '../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import { isJsWhitespace } from '../text/whitespace.js';
import { maskDigits, maskEmail, maskMiddle, maskName } from './masking.js';
import { cachedOptions } from './options-cache.js';
import { codeAt, type DigitRuns, nameStarts, type RunCandidates, runCandidates } from './pii-prescan.js';
import {
  aadhaarValid,
  bsnValid,
  cardNetwork,
  cpfValid,
  dniValid,
  ibanValid,
  luhnValid,
  ninoValid,
  nirValid,
  peselValid,
  ssnValid,
  steuerIdValid,
} from './pii-validators.js';

/**
 * Personal data with validation: e-mail, phone (libphonenumber-js), payment
 * card (Luhn + IIN), IBAN (mod 97), US SSN, IPv4/IPv6, national ids with check
 * digits (UK NINO, DE Steuer-ID, NL BSN, ES DNI/NIE, FR NIR, IN Aadhaar, PL
 * PESEL, BR CPF), person names and street addresses from contextual cues.
 * Conservative by design: bare digit runs, capitalised words, UUIDs, hashes
 * and version strings never match on shape alone.
 */

/** One PII occurrence: kind, UTF-16 offsets, a masked rendering and a confidence in [0, 1]. */
export interface PiiMatch {
  kind: string;
  start: number;
  end: number;
  masked: string;
  confidence: number;
}

// EMAIL_RE, matched by hand in `findEmails` and `emailDomainEnd` (the tests hold it against them):
// /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])/g
const PHONE_RE =
  /(?<![\w+/.:-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){1,4}(?![\w/-]|\.\d)/g;
const PHONE_CONTEXT_RE =
  /(?:phone|tel|telephone|call|mobile|cell|fax|whatsapp|sms|text me|reach me|contact|number|ph|mob|handy|telefon|telefono|téléphone|portable)\W{0,6}$/i;
const CARD_RE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const IBAN_RE = /(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Z0-9])/g;
const SSN_RE = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;
const SSN_SPACED_RE = /(?<![\d])(\d{3}) ?(\d{2}) ?(\d{4})(?!\d)/g;
const SSN_CONTEXT_RE = /(?:ssn|social security(?: number| no\.?)?|ss#)\W{0,8}$/i;
const IPV4_RE =
  /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]|\.\d)/g;
const VERSION_CONTEXT_RE = /\b(?:v|version|ver\.?|release|build|rev)\s{0,2}$/i;
const IPV6_RE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g;
const NINO_RE = /(?<![A-Za-z0-9])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g;
const DIGITS_ID_RE = /(?<!\d|\d[.,-])\d(?:[ ]?\d){8,11}(?!\d|[.,-]\d)/g;
const DNI_RE = /(?<![A-Za-z0-9])(?:\d{8}-?[A-Z]|[XYZ]-?\d{7}-?[A-Z])(?![A-Za-z0-9])/g;
const NIR_RE = /(?<![\d])[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?!\d)/g;
const CPF_RE = /(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d])/g;
const NAME_WORD = "[A-Z][a-z]{1,20}(?:[-'][A-Z][a-z]{1,20})?";
const NAME_CUE_RE = new RegExp(
  `(?:\\b(?:[Mm]y name is|[Nn]ame:|[Ff]ull name:|[Nn]amed|[Cc]alled|[Pp]atient:|[Cc]ustomer:|[Ee]mployee:|[Cc]ontact:)\\s{1,3})(${NAME_WORD}(?:\\s${NAME_WORD}){1,2})`,
  'g',
);
const HONORIFIC_RE = new RegExp(
  `\\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\\.?\\s(${NAME_WORD}(?:\\s${NAME_WORD})?)`,
  'g',
);
const SIGNOFF_RE = new RegExp(
  `(?:Regards|Sincerely|Best wishes|Best|Thanks|Thank you|Cheers|Yours truly|Cordially),?[ \\t]{0,3}\\n[ \\t]{0,3}(${NAME_WORD}(?:\\s${NAME_WORD}){1,2})[ \\t]*(?:\\n|$)`,
  'g',
);
const NOT_NAMES = new Set(
  'Sir Madam Team All Customer Friend Friends Reviewer Colleague Colleagues Everyone Support Admin Manager User Users Member Members Hiring Committee Board Staff Student Students Parent Parents Reader Readers Editor Editors Valued Client Partner Partners The This That Thank Thanks Best Regards Sincerely Kind Warm Dear Hello Hi Good Morning Evening Afternoon Happy New Year Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September October November December'.split(
    ' ',
  ),
);
const STREET_SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq)';
const US_ADDRESS_RE = new RegExp(
  `(?<![\\w-])\\d{1,5}\\s(?:[NSEW]\\.?\\s)?(?:[A-Z][a-z]{1,20}\\s){1,3}${STREET_SUFFIX}\\.?(?:,?\\s(?:Apt|Suite|Unit|#)\\.?\\s?\\w{1,6})?(,\\s?[A-Z][a-z]{1,20}(?:\\s[A-Z][a-z]{1,20})?,?\\s[A-Z]{2}\\s\\d{5}(?:-\\d{4})?)?(?![\\w])`,
  'g',
);
const EU_ADDRESS_RE =
  /(?<![\p{L}])[A-ZÄÖÜ][a-zäöüß]{2,30}(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|laan|straat|gracht|plein)\s\d{1,4}[a-z]?(,\s?\d{4,5}\s[A-ZÄÖÜ][a-zäöüß]{2,30})?(?![\p{L}\d])/gu;

// Street suffixes of EU_ADDRESS_RE; one must end right before the whitespace and house number.
const EU_STREET_SUFFIXES = [
  'straße',
  'strasse',
  'str.',
  'weg',
  'allee',
  'platz',
  'gasse',
  'ring',
  'damm',
  'laan',
  'straat',
  'gracht',
  'plein',
];

/**
 * Sticky forms of the patterns, run only at the start positions the digit-run pre-scan (or a
 * native substring search) leaves possible. A global `matchAll` tries every position of the text
 * once per pattern; these try a handful per text. Each loop below visits its candidate starts in
 * text order and skips those inside the previous match, so it yields exactly the matches of the
 * global pattern as long as its candidates include every position where the pattern can match.
 */
const sticky = (re: RegExp): RegExp => new RegExp(re.source, `${re.flags.replace('g', '')}y`);
const CARD_AT = sticky(CARD_RE);
const IBAN_AT = sticky(IBAN_RE);
const SSN_AT = sticky(SSN_RE);
const SSN_SPACED_AT = sticky(SSN_SPACED_RE);
const PHONE_AT = sticky(PHONE_RE);
const IPV4_AT = sticky(IPV4_RE);
const NINO_AT = sticky(NINO_RE);
const DNI_AT = sticky(DNI_RE);
const NIR_AT = sticky(NIR_RE);
const CPF_AT = sticky(CPF_RE);
const DIGITS_ID_AT = sticky(DIGITS_ID_RE);
const US_ADDRESS_AT = sticky(US_ADDRESS_RE);
const EU_ADDRESS_AT = sticky(EU_ADDRESS_RE);
const NAME_CUE_AT = sticky(NAME_CUE_RE);
const HONORIFIC_AT = sticky(HONORIFIC_RE);
const SIGNOFF_AT = sticky(SIGNOFF_RE);

function stickyExec(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isUpperCode(c: number): boolean {
  return c >= 65 && c <= 90;
}

/**
 * Digits from run `r` on through runs joined by single separator characters accepted by `sep`,
 * stopping once `need` is reached: a pattern of N separated digits needs N here.
 */
function chainDigits(
  text: string,
  { runStarts, runEnds, runs }: DigitRuns,
  r: number,
  need: number,
  sep: (c: number) => boolean,
): number {
  let digits = (runEnds[r] as number) - (runStarts[r] as number);
  for (let k = r; digits < need && k + 1 < runs; k++) {
    const end = runEnds[k] as number;
    if (runStarts[k + 1] !== end + 1 || !sep(codeAt(text, end))) break;
    digits += (runEnds[k + 1] as number) - end - 1;
  }
  return digits;
}

const isSpaceOrDash = (c: number): boolean => c === 32 || c === 45;
const isSpace = (c: number): boolean => c === 32;

/** PHONE_RE's look-behind class `[\w+/.:-]`: no digit-led phone starts right after one. */
function phoneBlocked(c: number): boolean {
  return isWordCode(c) || c === 43 || c === 47 || c === 46 || c === 58 || c === 45;
}

/** `[ .-]`, the separator class of PHONE_RE. */
function isPhoneSep(c: number): boolean {
  return c === 32 || c === 46 || c === 45;
}

/** `[a-zäöüß]`, the lower-case class of EU_ADDRESS_RE. */
function isEuLower(c: number): boolean {
  return (c >= 97 && c <= 122) || c === 0xe4 || c === 0xf6 || c === 0xfc || c === 0xdf;
}

/** `[A-ZÄÖÜ]`, the initial of EU_ADDRESS_RE. */
function isEuUpper(c: number): boolean {
  return isUpperCode(c) || c === 0xc4 || c === 0xd6 || c === 0xdc;
}

/**
 * Where an EU_ADDRESS_RE match can start whose house number starts at `digit` (after one
 * whitespace): a street suffix must end right before the whitespace, and the word before the
 * suffix is `[A-ZÄÖÜ][a-zäöüß]{2,30}`, so the only possible start is the capital in front of the
 * lower-case run that ends there. -1 when there is none.
 */
function euAddressStart(text: string, digit: number): number {
  const space = digit - 1;
  let suffixed = false;
  for (const suffix of EU_STREET_SUFFIXES) {
    if (text.startsWith(suffix, space - suffix.length)) {
      suffixed = true;
      break;
    }
  }
  if (!suffixed) return -1;
  let j = (codeAt(text, space - 1) === 46 ? space - 1 : space) - 1;
  while (j >= 0 && isEuLower(codeAt(text, j))) j--;
  return j >= 0 && isEuUpper(codeAt(text, j)) ? j : -1;
}

/**
 * Cheap necessary condition for `isIPv6` on an `IPV6_RE` match: without `::` an address has
 * exactly eight groups, or seven when the last one is an embedded IPv4 (clock times such as
 * `10:30:00` are rejected here without the costly validation).
 */
function ipv6Shape(v: string): boolean {
  if (v.includes('::')) return true;
  let colons = 0;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) === 58) colons++;
  return colons === 7 || (colons === 6 && v.includes('.'));
}

// The sticky form of IPV6_RE without its look-behind, run only at the one start position each
// colon run allows (see `ipv6Matches`); EMAIL_RE is matched by hand (`findEmails`).
const IPV6_AT_RE = new RegExp(IPV6_RE.source.replace('(?<![\\w:.])', ''), 'y');

/** `[0-9A-Fa-f]`. */
function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * Necessary for a reported IPv6 address (see `ipv6Shape`): `::`, or six colons in a row with at
 * most four hex digits between each two, i.e. `/::|:(?:[0-9a-f]{0,4}:){5}/i.test(text)`. Walked
 * colon to colon with native searches: the regex cost more than the address search it saved,
 * since it must read the whole of nearly every text to fail.
 */
export function ipv6Hinted(text: string): boolean {
  let prev = -6;
  let pairs = 0;
  for (let c = text.indexOf(':'); c >= 0; c = text.indexOf(':', c + 1)) {
    const gap = c - prev - 1;
    if (gap === 0) return true;
    let hex = gap <= 4;
    for (let i = prev + 1; hex && i < c; i++) hex = isHexCode(text.charCodeAt(i));
    pairs = hex ? pairs + 1 : 0;
    if (pairs === 5) return true;
    prev = c;
  }
  return false;
}

function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isAlnumCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** `[A-Za-z0-9._%+-]`, the local-part class of EMAIL_RE. */
function isLocalCode(c: number): boolean {
  return isAlnumCode(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

/**
 * The EMAIL_RE matches, in order, without trying it at every word: a match's '@' is the first
 * after its start, and the look-behind leaves one possible start per '@' (the start of the
 * local-part run before it, at most 64 characters back). E-mail addresses are most matches in
 * mail headers, so each costs a sticky `test` (no match array or value string) and its mask is
 * left to `maskedOf`.
 */
function findEmails(text: string, out: MatchList): void {
  let resume = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let a = at;
    while (a > 0 && at - a <= 64 && isLocalCode(codeAt(text, a - 1))) a--;
    if (a === at || at - a > 64 || a < resume) continue;
    const before = a > 0 ? codeAt(text, a - 1) : -1;
    if (
      before >= 0 &&
      (isWordCode(before) || before === 46 || before === 37 || before === 43 || before === 45)
    )
      continue;
    if (!isAlnumCode(codeAt(text, a))) continue;
    const end = emailDomainEnd(text, at);
    if (end < 0) continue;
    out.add(EMAIL, a, end, LAZY_MASK, reservedDomain(text, at + 1, end) ? 0.6 : 0.95);
    resume = end;
  }
}

/** `[A-Za-z0-9-]`, the label class of EMAIL_RE's domain. */
function isLabelCode(c: number): boolean {
  return isAlnumCode(c) || c === 45;
}

function isLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Where each label of the domain being matched starts (up to eight, then the top-level label). */
const LABEL_STARTS = new Int32Array(9);

/**
 * The end of EMAIL_RE's domain part after the '@' at `at`, or -1 where it does not match: what
 * the sticky pattern's backtracking gives, by hand (the pattern was a third of the e-mail time).
 * A label can only be a whole run of `[A-Za-z0-9-]` (the dot must follow it), 1-63 long and
 * alphanumeric at both ends; `{1,8}` tries the most labels first; the top-level part must be a
 * whole run of 2-24 letters (a shorter one is followed by a letter) not followed by `[\w-]`.
 */
export function emailDomainEnd(text: string, at: number): number {
  const n = text.length;
  let q = at + 1;
  let labels = 0;
  LABEL_STARTS[0] = q;
  while (labels < 8) {
    let j = q;
    while (j < n && isLabelCode(text.charCodeAt(j))) j++;
    const len = j - q;
    if (
      len < 1 ||
      len > 63 ||
      text.charCodeAt(q) === 45 ||
      text.charCodeAt(j - 1) === 45 ||
      text.charCodeAt(j) !== 46
    )
      break;
    q = j + 1;
    LABEL_STARTS[++labels] = q;
  }
  for (let k = labels; k >= 1; k--) {
    const s = LABEL_STARTS[k] as number;
    let j = s;
    while (j < n && j - s <= 24 && isLetterCode(text.charCodeAt(j))) j++;
    const after = text.charCodeAt(j);
    if (j - s >= 2 && j - s <= 24 && !isWordCode(after) && after !== 45) return j;
  }
  return -1;
}

/** Whether `text[from, to)` equals the lower-case ASCII `word`, ignoring ASCII case. */
function foldedEquals(text: string, from: number, to: number, word: string): boolean {
  if (to - from !== word.length) return false;
  for (let i = 0; i < word.length; i++)
    if ((text.charCodeAt(from + i) | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * RESERVED_DOMAIN_RE on the domain `text[from, to)` of an EMAIL_RE match (labels of
 * `[A-Za-z0-9-]` joined by dots, at least two): a reserved top-level label (`test`, `invalid`,
 * `example`, `localhost`), or `example.com|org|net` as the last two labels.
 */
function reservedDomain(text: string, from: number, to: number): boolean {
  const dot = text.lastIndexOf('.', to - 1);
  const tld = dot + 1;
  if (
    foldedEquals(text, tld, to, 'test') ||
    foldedEquals(text, tld, to, 'invalid') ||
    foldedEquals(text, tld, to, 'example') ||
    foldedEquals(text, tld, to, 'localhost')
  )
    return true;
  if (
    !foldedEquals(text, tld, to, 'com') &&
    !foldedEquals(text, tld, to, 'org') &&
    !foldedEquals(text, tld, to, 'net')
  )
    return false;
  const label = dot - 7;
  return (
    label >= from &&
    foldedEquals(text, label, dot, 'example') &&
    (label === from || text.charCodeAt(label - 1) === 46)
  );
}

/** `[0-9A-Fa-f:.]`: every character of an IPV6_RE match. */
function isIpv6Code(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
}

/**
 * The matches of IPV6_RE, in order: a match is made of `[0-9A-Fa-f:.]` and its look-behind
 * only allows the start of such a run, so only runs holding two or more colons are tried.
 */
function ipv6Matches(text: string): { index: number; value: string }[] {
  const out: { index: number; value: string }[] = [];
  let from = 0;
  for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', from)) {
    let a = colon;
    while (a > 0 && isIpv6Code(codeAt(text, a - 1))) a--;
    let b = colon + 1;
    let colons = 1;
    let double = false;
    while (b < text.length && isIpv6Code(codeAt(text, b))) {
      if (codeAt(text, b) === 58) {
        colons++;
        if (codeAt(text, b - 1) === 58) double = true;
      }
      b++;
    }
    from = b;
    // A match lies in this run, and `ipv6Shape` wants `::` or six colons or more: clock times fail here.
    if (colons < 2 || (!double && colons < 6) || (a > 0 && isWordCode(codeAt(text, a - 1)))) continue;
    IPV6_AT_RE.lastIndex = a;
    const m = IPV6_AT_RE.exec(text);
    if (m) out.push({ index: a, value: m[0] });
  }
  return out;
}

function context(text: string, start: number, width = 40): string {
  return text.slice(Math.max(0, start - width), start);
}

function idContext(text: string, start: number, re: RegExp): boolean {
  return re.test(context(text, start, 48));
}

const STEUER_CUE = /(?:steuer|steuer-?id|idnr|identifikationsnummer|tin|tax id)\W{0,20}[^\n]{0,12}$/i;
const BSN_CUE = /(?:bsn|burgerservicenummer|sofinummer|sofi-nummer)\W{0,20}[^\n]{0,12}$/i;
const AADHAAR_CUE = /(?:aadhaar|aadhar|uidai|uid|आधार)\W{0,20}[^\n]{0,12}$/i;
const PESEL_CUE = /pesel\W{0,20}[^\n]{0,12}$/i;
const CPF_CUE = /cpf\W{0,20}[^\n]{0,12}$/i;

/** The first two octets of the dotted-quad IPV4_RE match at `at` in `text` (digits and dots only). */
function firstOctets(text: string, at: number): [number, number] {
  let a = 0;
  let i = at;
  for (; text.charCodeAt(i) !== 46; i++) a = a * 10 + text.charCodeAt(i) - 48;
  let b = 0;
  for (i++; text.charCodeAt(i) !== 46; i++) b = b * 10 + text.charCodeAt(i) - 48;
  return [a, b];
}

function isPrivateIPv4(a: number, b: number): boolean {
  return (
    a === 10 ||
    a === 127 ||
    a === 0 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    a >= 224
  );
}

/** Digits of `raw` (the `\D` characters removed) without a regex replace per candidate. */
function digitsOf(raw: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    if (isDigitCode(raw.charCodeAt(i))) continue;
    out += raw.slice(from, i);
    from = i + 1;
  }
  return from === 0 ? raw : out + raw.slice(from);
}

/** `masked` of a match whose mask `maskedOf` derives from the text only when it is reported. */
const LAZY_MASK = '';

/** Kind names by id; e-mail and IPv4 (nearly every match) have fixed ids, the rest get one when first seen. */
const KIND_NAMES: string[] = ['email', 'ip.v4'];
const KIND_IDS = new Map<string, number>(KIND_NAMES.map((k, i) => [k, i]));
const EMAIL = 0;
const IPV4 = 1;

/** The id of kind `kind` (a few dozen kinds at most: card networks, national ids). */
function kindId(kind: string): number {
  let id = KIND_IDS.get(kind);
  if (id === undefined) {
    id = KIND_NAMES.length;
    KIND_NAMES.push(kind);
    KIND_IDS.set(kind, id);
  }
  return id;
}

/**
 * The matches of one text as columns of typed arrays, reused for every text (the scan is
 * synchronous): mail headers give ~20 matches a text and ~940k a scan, which as one object each
 * (and a sorted copy) were a visible share of the detector's allocation and time.
 */
class MatchList {
  /** Matches appended for the current text. */
  n = 0;
  /** How many of `order` dedupe kept. */
  kept = 0;
  kind = new Uint16Array(64);
  start = new Int32Array(64);
  end = new Int32Array(64);
  confidence = new Float64Array(64);
  /** The mask of each match, or LAZY_MASK (e-mail, IPv4: made by `maskedOf` when reported). */
  masked: string[] = [];
  /** Indices of the kept matches in text order (after `dedupe`). */
  order = new Int32Array(64);
  private keys = new Float64Array(64);

  add(kind: number, start: number, end: number, masked: string, confidence: number): void {
    const i = this.n;
    if (i === this.kind.length) this.grow();
    this.kind[i] = kind;
    this.start[i] = start;
    this.end[i] = end;
    this.confidence[i] = confidence;
    this.masked[i] = masked;
    this.n = i + 1;
  }

  /** `order`, with room for `n` indices. */
  orderFor(n: number): Int32Array {
    if (this.order.length < n) this.order = new Int32Array(this.kind.length);
    return this.order;
  }

  /** A sort-key view of length `n`. */
  keysFor(n: number): Float64Array {
    if (this.keys.length < n) this.keys = new Float64Array(this.kind.length);
    return this.keys.subarray(0, n);
  }

  private grow(): void {
    const size = this.kind.length * 2;
    const kind = new Uint16Array(size);
    kind.set(this.kind);
    this.kind = kind;
    const start = new Int32Array(size);
    start.set(this.start);
    this.start = start;
    const end = new Int32Array(size);
    end.set(this.end);
    this.end = end;
    const confidence = new Float64Array(size);
    confidence.set(this.confidence);
    this.confidence = confidence;
  }
}

const MATCHES = new MatchList();

/**
 * The mask of match `i` of `out`, a match in `text`. E-mail and IPv4 masks (nearly every match in
 * mail headers) are made here rather than per match, since a finding shows only three per kind.
 */
function maskedOf(text: string, out: MatchList, i: number): string {
  const masked = out.masked[i] as string;
  if (masked !== LAZY_MASK) return masked;
  const start = out.start[i] as number;
  if (out.kind[i] === EMAIL) return maskEmail(text.slice(start, out.end[i]));
  const [a, b] = firstOctets(text, start);
  return `${a}.${b}.*.*`;
}

/**
 * Finds PII in `text` and returns non-overlapping matches in text order, each
 * with a masked rendering (never the value whole) and a confidence.
 */
export function findPii(text: string): PiiMatch[] {
  const out = scanPii(text);
  const found: PiiMatch[] = [];
  for (let k = 0; k < out.kept; k++) {
    const i = out.order[k] as number;
    found.push({
      kind: KIND_NAMES[out.kind[i] as number] as string,
      start: out.start[i] as number,
      end: out.end[i] as number,
      masked: maskedOf(text, out, i),
      confidence: out.confidence[i] as number,
    });
  }
  return found;
}

/** The matches of `text` in the shared list, deduplicated (`order`, `kept`), e-mail and IPv4 masks lazy. */
function scanPii(text: string): MatchList {
  const out = MATCHES;
  out.n = 0;
  findEmails(text, out);
  const runs = runCandidates(text);
  if (runs.runs.runs > 0) findDigitLed(text, runs, out);
  // A reported address has `::` or six colons at most four hex digits apart (see `ipv6Shape`):
  // clock times, which put `:dd:` in nearly every mail header, fail here.
  if (ipv6Hinted(text)) {
    for (const m of ipv6Matches(text)) {
      const v = m.value;
      if (!ipv6Shape(v) || !isIPv6(v) || v === '::' || v === '::1' || /^fe80:/i.test(v) || /^f[cd]/i.test(v))
        continue;
      if (v.split(':').filter((g) => g !== '').length < 3) continue;
      addMatch(out, 'ip.v6', m.index, m.index + v.length, `${v.split(':').slice(0, 2).join(':')}:…`, 0.7);
    }
  }
  const names = nameStarts(text);
  findNames(text, NAME_CUE_AT, names.cue, out);
  findNames(text, HONORIFIC_AT, names.honorific, out);
  findNames(text, SIGNOFF_AT, names.signoff, out);
  dedupe(out);
  return out;
}

/** Person names after the cues of one pattern (`starts`: where `re` can match, in text order). */
function findNames(text: string, re: RegExp, starts: readonly number[], out: MatchList): void {
  let resume = 0;
  for (const at of starts) {
    if (at < resume) continue;
    const m = stickyExec(re, text, at);
    if (!m) continue;
    resume = at + m[0].length;
    const name = m[1] as string;
    const words = name.split(/\s+/);
    if (words.some((w) => NOT_NAMES.has(w))) continue;
    const start = m.index + m[0].indexOf(name);
    const confidence = re === NAME_CUE_AT ? 0.8 : re === SIGNOFF_AT ? 0.65 : words.length > 1 ? 0.75 : 0.55;
    addMatch(out, 'person-name', start, start + name.length, maskName(name), confidence);
  }
}

/** `[NSEW]`, the compass points of US_ADDRESS_RE. */
function isCompassCode(c: number): boolean {
  return c === 78 || c === 83 || c === 69 || c === 87;
}

/** Necessary for an IPV4_RE match at run `r`: four runs of 1-3 digits joined by single dots. */
function dottedQuad(text: string, { runs, runStarts, runEnds }: DigitRuns, r: number): boolean {
  if (r + 3 >= runs) return false;
  for (let k = r; k < r + 4; k++) {
    const end = runEnds[k] as number;
    if (end - (runStarts[k] as number) > 3) return false;
    if (k < r + 3 && (codeAt(text, end) !== 46 || runStarts[k + 1] !== end + 1)) return false;
  }
  return true;
}

/** Appends a match of a kind named by its string (the rarer kinds; see `kindId`). */
function addMatch(
  out: MatchList,
  kind: string,
  start: number,
  end: number,
  masked: string,
  confidence: number,
): void {
  out.add(kindId(kind), start, end, masked, confidence);
}

/**
 * The digit-led kinds, in the order the patterns used to run over the whole text: cards, IBANs,
 * SSNs, phones, IPv4, national ids, street addresses. `runs` digit runs are in the run buffers.
 */
function findDigitLed(text: string, c: RunCandidates, out: MatchList): void {
  const { runs: scan, list, from, to } = c;
  for (let k = 0; k < DIGIT_LED_FINDERS.length; k++) {
    const f = from[k] as number;
    const t = to[k] as number;
    if (t > f) (DIGIT_LED_FINDERS[k] as DigitLedFinder)(text, scan, list, f, t, out);
  }
}

type DigitLedFinder = (
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
) => void;

/**
 * The finder of each digit-led candidate list, in the kernel's list order. One function per kind:
 * a branch seen for the first time deoptimises only that kind's loop.
 */
const DIGIT_LED_FINDERS: readonly DigitLedFinder[] = [
  findCard,
  findIban,
  findSsn,
  findSsnSpaced,
  findPhones,
  findIpv4,
  findNino,
  findDni,
  findNir,
  findCpf,
  findDigitsId,
  findUsAddress,
  findEuAddress,
];

/** Payment cards: 13-19 digits, Luhn-valid, with a known issuer. */
function findCard(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    if (p < resume || codeAt(text, p - 1) === 45 || chainDigits(text, scan, r, 13, isSpaceOrDash) < 13)
      continue;
    const m = stickyExec(CARD_AT, text, p);
    if (!m) continue;
    const raw = m[0];
    resume = p + raw.length;
    const digits = digitsOf(raw);
    // Separators, if any, must be consistent (groups of 4, or Amex 4-6-5).
    const groups = raw.split(/[ -]/).map((g) => g.length);
    const grouped =
      groups.length === 1 ||
      groups.slice(0, -1).every((g) => g === 4) ||
      groups.join(',') === '4,6,5' ||
      groups.join(',') === '4,6,4';
    if (!grouped || !luhnValid(digits)) continue;
    const network = cardNetwork(digits);
    if (!network || /^(\d)\1+$/.test(digits)) continue;
    addMatch(out, `card.${network}`, p, p + raw.length, maskDigits(digits), 0.95);
  }
}

/** IBAN: two capitals right before a run of at least two digits. */
function findIban(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const s = p - 2;
    if (
      s < resume ||
      (runEnds[r] as number) - p < 2 ||
      !isUpperCode(codeAt(text, p - 1)) ||
      !isUpperCode(codeAt(text, s))
    )
      continue;
    const m = stickyExec(IBAN_AT, text, s);
    if (!m) continue;
    resume = s + m[0].length;
    if (ibanValid(m[0]))
      addMatch(out, 'iban', s, s + m[0].length, `${m[0].slice(0, 2)}**…${maskDigits(m[0]).slice(1)}`, 0.97);
  }
}

/** SSN: three digits and a dash. */
function findSsn(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const e = runEnds[r] as number;
    if (p < resume || e - p !== 3 || codeAt(text, e) !== 45) continue;
    const m = stickyExec(SSN_AT, text, p);
    if (!m) continue;
    resume = p + m[0].length;
    if (ssnValid(m[1] as string, m[2] as string, m[3] as string))
      addMatch(out, 'ssn', p, p + m[0].length, `***-**-${m[3]}`, 0.9);
  }
}

/**
 * Spaced SSN: its first run holds 3, 5 or 9 digits; only reported after an SSN cue in the 48
 * characters before (looked up per match: a search of the whole text for any cue cost more, since
 * nine-digit runs are common in mail and the cue is rare).
 */
function findSsnSpaced(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const n = (runEnds[r] as number) - p;
    if (p < resume || (n !== 3 && n !== 5 && n !== 9)) continue;
    const m = stickyExec(SSN_SPACED_AT, text, p);
    if (!m) continue;
    resume = p + m[0].length;
    if (m[0].includes('-') || !idContext(text, p, SSN_CONTEXT_RE)) continue;
    if (ssnValid(m[1] as string, m[2] as string, m[3] as string))
      addMatch(out, 'ssn', p, p + m[0].length, `***-**-${m[3]}`, 0.85);
  }
}

/**
 * Necessary for VERSION_CONTEXT_RE before `p`: after at most two whitespace characters back,
 * the last letter of a version word (v, version, ver, ver., release, build, rev).
 */
function versionCueBefore(text: string, p: number): boolean {
  let j = p - 1;
  if (isJsWhitespace(codeAt(text, j))) j--;
  if (isJsWhitespace(codeAt(text, j))) j--;
  const c = codeAt(text, j) | 0x20;
  return c === 118 || c === 110 || c === 114 || c === 46 || c === 101 || c === 100;
}

/** IPv4: one to three digits and a dot before a digit. */
function findIpv4(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    if (p < resume || !dottedQuad(text, scan, r)) continue;
    IPV4_AT.lastIndex = p;
    if (!IPV4_AT.test(text)) continue;
    const end = IPV4_AT.lastIndex;
    resume = end;
    const [a, b] = firstOctets(text, p);
    if (isPrivateIPv4(a, b) || (versionCueBefore(text, p) && VERSION_CONTEXT_RE.test(context(text, p, 12))))
      continue;
    out.add(IPV4, p, end, LAZY_MASK, 0.7);
  }
}

/** NINO: two capitals (and an optional space) before a run of 2, 4 or 6 digits. */
function findNino(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const n = (runEnds[r] as number) - p;
    if (n !== 2 && n !== 4 && n !== 6) continue;
    const s = codeAt(text, p - 1) === 32 ? p - 3 : p - 2;
    if (s < resume || !isUpperCode(codeAt(text, s)) || !isUpperCode(codeAt(text, s + 1))) continue;
    const m = stickyExec(NINO_AT, text, s);
    if (!m) continue;
    resume = s + m[0].length;
    if (ninoValid(m[0]))
      addMatch(out, 'national-id.uk-nino', s, s + m[0].length, `${m[0].slice(0, 2)}…${m[0].slice(-1)}`, 0.8);
  }
}

/** DNI: a run of exactly 8 digits, or 7 after X/Y/Z (and an optional dash). */
function findDni(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const n = (runEnds[r] as number) - p;
    let s = p;
    if (n === 7) {
      s = codeAt(text, p - 1) === 45 ? p - 2 : p - 1;
      const c = codeAt(text, s);
      if (c !== 88 && c !== 89 && c !== 90) continue;
    } else if (n !== 8) continue;
    // `-?[A-Z]` after the digits.
    const letter = codeAt(text, p + n) === 45 ? p + n + 1 : p + n;
    if (s < resume || !isUpperCode(codeAt(text, letter))) continue;
    const m = stickyExec(DNI_AT, text, s);
    if (!m) continue;
    resume = s + m[0].length;
    if (dniValid(m[0])) addMatch(out, 'national-id.es-dni', s, s + m[0].length, `…${m[0].slice(-3)}`, 0.85);
  }
}

/** NIR: 1 or 2, then at least 14 digits among digits, spaces and the Corsican A/B. */
function findNir(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const c = codeAt(text, p);
    if (p < resume || (c !== 49 && c !== 50) || !nirShaped(text, p)) continue;
    const m = stickyExec(NIR_AT, text, p);
    if (!m) continue;
    resume = p + m[0].length;
    if (nirValid(m[0]))
      addMatch(out, 'national-id.fr-nir', p, p + m[0].length, `${m[0][0]}…${m[0].slice(-2)}`, 0.85);
  }
}

/** CPF: three digits and a dot. */
function findCpf(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const e = runEnds[r] as number;
    // `\d{3}\.\d{3}\.`: the next run holds three digits and ends in a dot too.
    if (
      p < resume ||
      e - p !== 3 ||
      codeAt(text, e) !== 46 ||
      runStarts[r + 1] !== e + 1 ||
      runEnds[r + 1] !== e + 4 ||
      codeAt(text, e + 4) !== 46 ||
      // `\d{3}-`: the third run holds three digits and a dash follows.
      runStarts[r + 2] !== e + 5 ||
      runEnds[r + 2] !== e + 8 ||
      codeAt(text, e + 8) !== 45
    )
      continue;
    const m = stickyExec(CPF_AT, text, p);
    if (!m) continue;
    resume = p + m[0].length;
    if (cpfValid(digitsOf(m[0])))
      addMatch(out, 'national-id.br-cpf', p, p + m[0].length, `***.***.…${m[0].slice(-2)}`, 0.9);
  }
}

/** Bare digit ids: only with a cue word in front, since a 9-12 digit run passes a check digit by chance. */
function findDigitsId(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const at = runStarts[r] as number;
    if (at < resume || chainDigits(text, scan, r, 9, isSpace) < 9) continue;
    const m = stickyExec(DIGITS_ID_AT, text, at);
    if (!m) continue;
    const end = at + m[0].length;
    resume = end;
    const digits = m[0].replace(/\s/g, '');
    if (digits.length === 11 && idContext(text, at, STEUER_CUE) && steuerIdValid(digits))
      addMatch(out, 'national-id.de-steuer-id', at, end, maskDigits(digits, 2), 0.85);
    else if (digits.length === 9 && idContext(text, at, BSN_CUE) && bsnValid(digits))
      addMatch(out, 'national-id.nl-bsn', at, end, maskDigits(digits, 2), 0.85);
    else if (digits.length === 12 && idContext(text, at, AADHAAR_CUE) && aadhaarValid(digits))
      addMatch(out, 'national-id.in-aadhaar', at, end, maskDigits(digits, 4), 0.85);
    else if (digits.length === 11 && idContext(text, at, PESEL_CUE) && peselValid(digits))
      addMatch(out, 'national-id.pl-pesel', at, end, maskDigits(digits, 2), 0.85);
    else if (digits.length === 11 && idContext(text, at, CPF_CUE) && cpfValid(digits))
      addMatch(out, 'national-id.br-cpf', at, end, maskDigits(digits, 2), 0.85);
  }
}

/** US street address: a house number of 1-5 digits, whitespace, a capital. */
function findUsAddress(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const e = runEnds[r] as number;
    const before = codeAt(text, p - 1);
    // `(?<![\w-])\d{1,5}\s(?:[NSEW]\.?\s)?[A-Z][a-z]`: a capitalised word or a compass point.
    const second = codeAt(text, e + 2);
    if (
      p < resume ||
      e - p > 5 ||
      isWordCode(before) ||
      before === 45 ||
      !isJsWhitespace(codeAt(text, e)) ||
      !isUpperCode(codeAt(text, e + 1)) ||
      !(
        (second >= 97 && second <= 122) ||
        (isCompassCode(codeAt(text, e + 1)) && (second === 46 || isJsWhitespace(second)))
      ) ||
      !capitalAfterFirstWord(text, e + 2)
    )
      continue;
    const m = stickyExec(US_ADDRESS_AT, text, p);
    if (!m) continue;
    resume = p + m[0].length;
    addMatch(
      out,
      'address',
      p,
      p + m[0].length,
      `${maskMiddle(m[0].split(/\s/)[0] ?? '')} …`,
      m[1] ? 0.9 : 0.6,
    );
  }
}

/**
 * Necessary for US_ADDRESS_RE once its first word or compass point starts right before `k`:
 * past that word's lower-case letters (and a compass point's dot), whitespace and a capital (the
 * next word or the street suffix). Dates (`22 Aug 2002`) fail here instead of in the pattern.
 */
function capitalAfterFirstWord(text: string, k: number): boolean {
  let j = k;
  for (let c = codeAt(text, j); c >= 97 && c <= 122; c = codeAt(text, j)) j++;
  if (codeAt(text, j) === 46) j++;
  return isJsWhitespace(codeAt(text, j)) && isUpperCode(codeAt(text, j + 1));
}

/** EU street address: street word and suffix, whitespace, house number. */
function findEuAddress(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    if (!isJsWhitespace(codeAt(text, p - 1))) continue;
    const s = euAddressStart(text, p);
    if (s < resume) continue;
    const m = stickyExec(EU_ADDRESS_AT, text, s);
    if (!m) continue;
    resume = s + m[0].length;
    addMatch(
      out,
      'address',
      s,
      s + m[0].length,
      `${maskMiddle(m[0].split(/\s/)[0] ?? '')} …`,
      m[1] ? 0.85 : 0.6,
    );
  }
}

/** Necessary for a NIR_RE match at `p`: at least 14 digits before the first character outside `[0-9 AB]`. */
function nirShaped(text: string, p: number): boolean {
  let digits = 0;
  for (let i = p; i < text.length && digits < 14; i++) {
    const c = codeAt(text, i);
    if (isDigitCode(c)) digits++;
    else if (c !== 32 && c !== 65 && c !== 66) break;
  }
  return digits >= 14;
}

/**
 * PHONE_RE matches: they start with `+` or `(` right before a digit run, or at a run of 2-5
 * digits followed by a separator and another digit.
 */
function findPhones(
  text: string,
  scan: DigitRuns,
  list: Int32Array,
  from: number,
  to: number,
  out: MatchList,
): void {
  const { runStarts, runEnds } = scan;
  let resume = 0;
  for (let i = from; i < to; i++) {
    const r = list[i] as number;
    const p = runStarts[r] as number;
    const e = runEnds[r] as number;
    const before = codeAt(text, p - 1);
    let m: RegExpExecArray | null = null;
    let s = p - 1;
    if ((before === 43 || (before === 40 && e - p <= 4 && codeAt(text, e) === 41)) && s >= resume)
      m = stickyExec(PHONE_AT, text, s);
    if (!m) {
      s = p;
      const n = e - p;
      // A digit-led match stays inside the runs joined by single separators and is reported only
      // with 7+ digits, so shorter chains (dates, times) need not be matched: every match starting
      // in one would be dropped, and would end inside it.
      if (
        s < resume ||
        n < 2 ||
        n > 5 ||
        phoneBlocked(before) ||
        !isPhoneSep(codeAt(text, e)) ||
        !isDigitCode(codeAt(text, e + 1)) ||
        chainDigits(text, scan, r, 7, isPhoneSep) < 7
      )
        continue;
      m = stickyExec(PHONE_AT, text, s);
      if (!m) continue;
    }
    const raw = m[0];
    resume = s + raw.length;
    const digits = digitsOf(raw);
    if (digits.length < 7 || digits.length > 15) continue;
    const intl = raw.startsWith('+');
    const parens = raw.includes('(');
    // Bare digit runs (ids, order numbers) need a "+" or a phone cue; dotted runs look like versions/IPs.
    // The cue (a regex over the text before) is looked up only once the cheap tests leave it deciding.
    if (!intl && !parens && !/[ .-]/.test(raw)) continue;
    const cue = PHONE_CONTEXT_RE.test(context(text, s, 30));
    if (!intl && !parens && !cue) continue;
    if (!intl && /^\d{1,3}(?:\.\d{1,3}){2,}$/.test(raw)) continue;
    const parsed = parsePhone(raw, intl);
    if (!parsed?.isValid()) continue;
    addMatch(
      out,
      'phone',
      s,
      s + raw.length,
      `${intl ? `+${parsed.countryCallingCode} ` : ''}…${digits.slice(-2)}`,
      cue || intl ? 0.9 : 0.75,
    );
  }
}

/**
 * libphonenumber-js, which reports most rejections by throwing (and catching) an error: with no
 * stack trace to capture, each costs a fraction (the code is synchronous, so nothing else runs
 * with the limit lowered).
 */
function parsePhone(raw: string, intl: boolean): ReturnType<typeof parsePhoneNumberFromString> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return intl ? parsePhoneNumberFromString(raw) : parsePhoneNumberFromString(raw, 'US');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Keeps the most confident of overlapping matches: `out.order` lists the kept ones in text order.
 * Usually nothing overlaps: then every match is kept, in order of start (no two share one), which
 * one sort of start-and-index keys gives without the pairwise checks.
 */
function dedupe(out: MatchList): void {
  const { n, start, end } = out;
  const order = out.orderFor(n);
  out.kept = n;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = (start[i] as number) >= (start[i - 1] as number);
  if (sorted) for (let i = 0; i < n; i++) order[i] = i;
  else sortByStart(out, order);
  for (let i = 1; i < n; i++) {
    if ((start[order[i] as number] as number) < (end[order[i - 1] as number] as number)) {
      dedupeOverlapping(out, order);
      return;
    }
  }
}

/** Match indices as the low bits of a sort key, below the start (see `sortByStart`). */
const INDEX_SPAN = 2 ** 21;

/**
 * `order` = match indices by start, equal starts by index (what a stable sort of the matches by
 * start gives): numeric keys `start * INDEX_SPAN + index` (exact in a double) sorted natively.
 */
function sortByStart(out: MatchList, order: Int32Array): void {
  const { n, start } = out;
  if (n >= INDEX_SPAN) {
    const idx = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (start[a] as number) - (start[b] as number),
    );
    for (let i = 0; i < n; i++) order[i] = idx[i] as number;
    return;
  }
  const keys = out.keysFor(n);
  for (let i = 0; i < n; i++) keys[i] = (start[i] as number) * INDEX_SPAN + i;
  keys.sort();
  for (let i = 0; i < n; i++) order[i] = (keys[i] as number) % INDEX_SPAN;
}

/** The general case: matches by confidence, then length (stable), each kept unless it overlaps a kept one. */
function dedupeOverlapping(out: MatchList, order: Int32Array): void {
  const { n, start, end, confidence } = out;
  const sorted = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) =>
      (confidence[b] as number) - (confidence[a] as number) ||
      (end[b] as number) - (start[b] as number) - ((end[a] as number) - (start[a] as number)),
  );
  const kept: number[] = [];
  for (const m of sorted) {
    const ms = start[m] as number;
    const me = end[m] as number;
    if (!kept.some((k) => ms < (end[k] as number) && (start[k] as number) < me)) kept.push(m);
  }
  kept.sort((a, b) => (start[a] as number) - (start[b] as number));
  for (let i = 0; i < kept.length; i++) order[i] = kept[i] as number;
  out.kept = kept.length;
}

const KIND_SEVERITY: ReadonlyArray<readonly [RegExp, Severity]> = [
  [/^(?:card|ssn|iban|national-id)/, 'high'],
  [/^(?:email|phone|address)/, 'medium'],
  [/^(?:person-name|ip)/, 'low'],
];

const SEVERITY_BY_KIND = new Map<string, Severity>();
const LABEL_BY_KIND = new Map<string, string>();

/** The severity of `kind` (a handful of kinds: looked up once each). */
function severityOf(kind: string): Severity {
  let severity = SEVERITY_BY_KIND.get(kind);
  if (severity === undefined) {
    severity = 'low';
    for (const [re, s] of KIND_SEVERITY) {
      if (re.test(kind)) {
        severity = s;
        break;
      }
    }
    SEVERITY_BY_KIND.set(kind, severity);
  }
  return severity;
}

/** `kind` with its dots and dashes as spaces, for messages. */
function kindLabel(kind: string): string {
  let label = LABEL_BY_KIND.get(kind);
  if (label === undefined) {
    label = kind.replace(/[.-]/g, ' ');
    LABEL_BY_KIND.set(kind, label);
  }
  return label;
}

/** The reported matches of one kind in one text: how many, the top confidence, the first three. */
interface KindGroup {
  kind: number;
  count: number;
  top: number;
  /** Indices in the match list of the first three (`shown` of them). */
  first: Int32Array;
  shown: number;
}

/** Groups reused by every `analyze` call (it is synchronous and keeps none of them). */
const GROUPS: KindGroup[] = [];

/** Whether the `ignore` option leaves out kind `id` (a kind equal to a prefix or below it). */
function ignored(ignore: readonly string[], id: number): boolean {
  const kind = KIND_NAMES[id] as string;
  return ignore.some((p) => kind === p || kind.startsWith(`${p}.`));
}

const OptionsSchema = z
  .object({
    /** Matches below this confidence are not reported. */
    minConfidence: z.number().min(0).max(1).default(0.6),
    /** Kinds (prefixes such as `email`, `card`, `national-id`) to leave out. */
    ignore: z.array(z.string().min(1)).default([]),
  })
  .strict();

const readOptions = cachedOptions(OptionsSchema);

export const piiDetector: Detector = {
  id: 'pii',
  description:
    'Personal data with validation: e-mail, phone, payment card (Luhn), IBAN (mod 97), US SSN, IP addresses, national ids with check digits, person names and street addresses',
  defaultSeverity: 'medium',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('pii', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord, ctx: DetectorContext): RecordAnalysis<unknown> | undefined {
    const { minConfidence, ignore } = readOptions(ctx.options);
    const findings: FindingDraft[] = [];
    for (const t of record.texts) {
      const out = scanPii(t.text);
      if (out.kept === 0) continue;
      // Kinds in first-seen order, as a Map keyed by kind would list them (a text has few kinds).
      let kinds = 0;
      for (let k = 0; k < out.kept; k++) {
        const i = out.order[k] as number;
        const kind = out.kind[i] as number;
        const confidence = out.confidence[i] as number;
        if (confidence < minConfidence || (ignore.length > 0 && ignored(ignore, kind))) continue;
        let g = 0;
        while (g < kinds && (GROUPS[g] as KindGroup).kind !== kind) g++;
        if (g === kinds) {
          if (kinds === GROUPS.length)
            GROUPS.push({ kind: 0, count: 0, top: 0, first: new Int32Array(3), shown: 0 });
          const fresh = GROUPS[kinds++] as KindGroup;
          fresh.kind = kind;
          fresh.count = 0;
          fresh.top = confidence;
          fresh.shown = 0;
        }
        const group = GROUPS[g] as KindGroup;
        group.count++;
        if (confidence > group.top) group.top = confidence;
        if (group.shown < 3) group.first[group.shown++] = i;
      }
      for (let g = 0; g < kinds; g++) {
        const { kind: id, count, top, first, shown } = GROUPS[g] as KindGroup;
        const kind = KIND_NAMES[id] as string;
        const masked: string[] = [];
        const offsets: number[] = [];
        for (let k = 0; k < shown; k++) {
          const i = first[k] as number;
          masked.push(maskedOf(t.text, out, i));
          offsets.push(out.start[i] as number);
        }
        findings.push({
          detector: 'pii',
          rule: `pii.${kind}`,
          severity: severityOf(kind),
          field: t.field,
          message: `${count} ${kindLabel(kind)} value${count > 1 ? 's' : ''} (validated)`,
          evidence: { count, masked, offsets },
          score: top,
        });
      }
    }
    return findings.length > 0 ? { findings } : undefined;
  },
};
