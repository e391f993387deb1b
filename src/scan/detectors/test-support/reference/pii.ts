/**
 * Frozen copy of the detector as it was before the candidate-start rewrite: the reference the
 * fast path is checked against (see the "fast path" tests). Not used outside tests.
 */
import { isIPv6 } from 'node:net';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Severity } from '../../../../contracts/finding.js';
import type { DatasetRecord } from '../../../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../../../detector.js';
import { parseDetectorOptions, z } from '../../../options.js';
import { maskDigits, maskEmail, maskMiddle, maskName } from '../../masking.js';
import { cachedOptions } from '../../options-cache.js';
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
} from '../../pii-validators.js';

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

const EMAIL_RE =
  /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])/g;
const RESERVED_DOMAIN_RE =
  /@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.(?:test|invalid|example|localhost))$/i;
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

// Street suffixes of EU_ADDRESS_RE; one must be followed by whitespace and a digit for a match.
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
const SPACE_CHAR_RE = /\s/;

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Necessary for an EU_ADDRESS_RE match: a street suffix, whitespace, a house number. Native
 * substring searches per suffix; as one alternation regex this hint cost more than the
 * address regex it guards.
 */
function mayHoldEuAddress(text: string): boolean {
  for (const suffix of EU_STREET_SUFFIXES) {
    for (let at = text.indexOf(suffix); at >= 0; at = text.indexOf(suffix, at + 1)) {
      const after = at + suffix.length;
      if (isDigitCode(text.charCodeAt(after + 1)) && SPACE_CHAR_RE.test(text[after] ?? '')) return true;
    }
  }
  return false;
}

/** Literals of which one must occur for NAME_CUE_RE / SIGNOFF_RE to match (native searches first). */
const NAME_CUE_HINTS = ['ame', 'alled', 'atient:', 'ustomer:', 'mployee:', 'ontact:'];
const SIGNOFF_HINTS = ['Regards', 'Sincerely', 'Best', 'Thank', 'Cheers', 'Yours truly', 'Cordially'];
const includesAny = (text: string, hints: readonly string[]): boolean => hints.some((h) => text.includes(h));
// DNI_RE needs seven digits in a row in either form.
const SEVEN_DIGITS_RE = /\d{7}/;

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

// Sticky forms of EMAIL_RE and IPV6_RE without their look-behind, run only at the one start
// position each '@' / colon run allows (see `emailMatches`, `ipv6Matches`).
const EMAIL_AT_RE = new RegExp(EMAIL_RE.source.replace('(?<![\\w.%+-])', ''), 'y');
const IPV6_AT_RE = new RegExp(IPV6_RE.source.replace('(?<![\\w:.])', ''), 'y');

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
 * The matches of EMAIL_RE, in order, without trying it at every word: a match's '@' is the
 * first after its start, and the look-behind leaves one possible start per '@' (the start of
 * the local-part run before it, at most 64 characters back).
 */
function emailMatches(text: string): { index: number; value: string }[] {
  const out: { index: number; value: string }[] = [];
  let resume = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let a = at;
    while (a > 0 && at - a <= 64 && isLocalCode(text.charCodeAt(a - 1))) a--;
    if (a === at || at - a > 64 || a < resume) continue;
    const before = a > 0 ? text.charCodeAt(a - 1) : -1;
    if (
      before >= 0 &&
      (isWordCode(before) || before === 46 || before === 37 || before === 43 || before === 45)
    )
      continue;
    if (!isAlnumCode(text.charCodeAt(a))) continue;
    EMAIL_AT_RE.lastIndex = a;
    const m = EMAIL_AT_RE.exec(text);
    if (!m) continue;
    out.push({ index: a, value: m[0] });
    resume = a + m[0].length;
  }
  return out;
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
    while (a > 0 && isIpv6Code(text.charCodeAt(a - 1))) a--;
    let b = colon + 1;
    let colons = 1;
    while (b < text.length && isIpv6Code(text.charCodeAt(b))) {
      if (text.charCodeAt(b) === 58) colons++;
      b++;
    }
    from = b;
    if (colons < 2 || (a > 0 && isWordCode(text.charCodeAt(a - 1)))) continue;
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

function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
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

/**
 * Finds PII in `text` and returns non-overlapping matches in text order, each
 * with a masked rendering (never the value whole) and a confidence.
 */
export function findPii(text: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  const add = (kind: string, start: number, end: number, masked: string, confidence: number): void => {
    out.push({ kind, start, end, masked, confidence });
  };
  const hasDigit = /\d/.test(text);
  if (text.includes('@')) {
    for (const m of emailMatches(text)) {
      add(
        'email',
        m.index,
        m.index + m.value.length,
        maskEmail(m.value),
        RESERVED_DOMAIN_RE.test(m.value) ? 0.6 : 0.95,
      );
    }
  }
  if (hasDigit) {
    for (const m of text.matchAll(CARD_RE)) {
      const raw = m[0];
      const digits = raw.replace(/\D/g, '');
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
      add(`card.${network}`, m.index, m.index + raw.length, maskDigits(digits), 0.95);
    }
    for (const m of text.matchAll(IBAN_RE)) {
      if (ibanValid(m[0]))
        add(
          'iban',
          m.index,
          m.index + m[0].length,
          `${m[0].slice(0, 2)}**…${maskDigits(m[0]).slice(1)}`,
          0.97,
        );
    }
    for (const m of text.matchAll(SSN_RE)) {
      if (ssnValid(m[1] as string, m[2] as string, m[3] as string))
        add('ssn', m.index, m.index + m[0].length, `***-**-${m[3]}`, 0.9);
    }
    if (/ssn|social security|ss#/i.test(text)) {
      for (const m of text.matchAll(SSN_SPACED_RE)) {
        if (m[0].includes('-') || !idContext(text, m.index, SSN_CONTEXT_RE)) continue;
        if (ssnValid(m[1] as string, m[2] as string, m[3] as string))
          add('ssn', m.index, m.index + m[0].length, `***-**-${m[3]}`, 0.85);
      }
    }
    for (const m of text.matchAll(PHONE_RE)) {
      const raw = m[0];
      const digits = raw.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15) continue;
      const intl = raw.startsWith('+');
      const parens = raw.includes('(');
      // Bare digit runs (ids, order numbers) need a "+" or a phone cue; dotted runs look like versions/IPs.
      // The cue (a regex over the text before) is looked up only once the cheap tests leave it deciding.
      if (!intl && !parens && !/[ .-]/.test(raw)) continue;
      const cue = PHONE_CONTEXT_RE.test(context(text, m.index, 30));
      if (!intl && !parens && !cue) continue;
      if (!intl && /^\d{1,3}(?:\.\d{1,3}){2,}$/.test(raw)) continue;
      const parsed = intl ? parsePhoneNumberFromString(raw) : parsePhoneNumberFromString(raw, 'US');
      if (!parsed?.isValid()) continue;
      add(
        'phone',
        m.index,
        m.index + raw.length,
        `${intl ? `+${parsed.countryCallingCode} ` : ''}…${digits.slice(-2)}`,
        cue || intl ? 0.9 : 0.75,
      );
    }
    if (text.includes('.')) {
      for (const m of text.matchAll(IPV4_RE)) {
        if (isPrivateIPv4(m[0]) || VERSION_CONTEXT_RE.test(context(text, m.index, 12))) continue;
        const parts = m[0].split('.');
        add('ip.v4', m.index, m.index + m[0].length, `${parts[0]}.${parts[1]}.*.*`, 0.7);
      }
    }
    for (const m of text.matchAll(NINO_RE)) {
      if (ninoValid(m[0]))
        add(
          'national-id.uk-nino',
          m.index,
          m.index + m[0].length,
          `${m[0].slice(0, 2)}…${m[0].slice(-1)}`,
          0.8,
        );
    }
    for (const m of SEVEN_DIGITS_RE.test(text) ? text.matchAll(DNI_RE) : []) {
      if (dniValid(m[0]))
        add('national-id.es-dni', m.index, m.index + m[0].length, `…${m[0].slice(-3)}`, 0.85);
    }
    for (const m of text.matchAll(NIR_RE)) {
      if (nirValid(m[0]))
        add('national-id.fr-nir', m.index, m.index + m[0].length, `${m[0][0]}…${m[0].slice(-2)}`, 0.85);
    }
    for (const m of text.matchAll(CPF_RE)) {
      if (cpfValid(m[0].replace(/\D/g, '')))
        add('national-id.br-cpf', m.index, m.index + m[0].length, `***.***.…${m[0].slice(-2)}`, 0.9);
    }
    // Bare digit ids: only with a cue word in front, since a 9-12 digit run passes a check digit by chance.
    for (const m of text.matchAll(DIGITS_ID_RE)) {
      const digits = m[0].replace(/\s/g, '');
      const at = m.index;
      const end = at + m[0].length;
      if (digits.length === 11 && idContext(text, at, STEUER_CUE) && steuerIdValid(digits))
        add('national-id.de-steuer-id', at, end, maskDigits(digits, 2), 0.85);
      else if (digits.length === 9 && idContext(text, at, BSN_CUE) && bsnValid(digits))
        add('national-id.nl-bsn', at, end, maskDigits(digits, 2), 0.85);
      else if (digits.length === 12 && idContext(text, at, AADHAAR_CUE) && aadhaarValid(digits))
        add('national-id.in-aadhaar', at, end, maskDigits(digits, 4), 0.85);
      else if (digits.length === 11 && idContext(text, at, PESEL_CUE) && peselValid(digits))
        add('national-id.pl-pesel', at, end, maskDigits(digits, 2), 0.85);
      else if (digits.length === 11 && idContext(text, at, CPF_CUE) && cpfValid(digits))
        add('national-id.br-cpf', at, end, maskDigits(digits, 2), 0.85);
    }
    for (const m of text.matchAll(US_ADDRESS_RE)) {
      add(
        'address',
        m.index,
        m.index + m[0].length,
        `${maskMiddle(m[0].split(/\s/)[0] ?? '')} …`,
        m[1] ? 0.9 : 0.6,
      );
    }
    if (mayHoldEuAddress(text))
      for (const m of text.matchAll(EU_ADDRESS_RE)) {
        add(
          'address',
          m.index,
          m.index + m[0].length,
          `${maskMiddle(m[0].split(/\s/)[0] ?? '')} …`,
          m[1] ? 0.85 : 0.6,
        );
      }
  }
  // Two colons at most four hex digits apart (the old hint's optional leading digits added nothing but cost).
  if (text.includes(':') && /:[0-9a-f]{0,4}:/i.test(text)) {
    for (const m of ipv6Matches(text)) {
      const v = m.value;
      if (!ipv6Shape(v) || !isIPv6(v) || v === '::' || v === '::1' || /^fe80:/i.test(v) || /^f[cd]/i.test(v))
        continue;
      if (v.split(':').filter((g) => g !== '').length < 3) continue;
      add('ip.v6', m.index, m.index + v.length, `${v.split(':').slice(0, 2).join(':')}:…`, 0.7);
    }
  }
  for (const re of [NAME_CUE_RE, HONORIFIC_RE, SIGNOFF_RE]) {
    if (re === NAME_CUE_RE && !includesAny(text, NAME_CUE_HINTS)) continue;
    if (re === SIGNOFF_RE && !includesAny(text, SIGNOFF_HINTS)) continue;
    for (const m of text.matchAll(re)) {
      const name = m[1] as string;
      const words = name.split(/\s+/);
      if (words.some((w) => NOT_NAMES.has(w))) continue;
      const start = m.index + m[0].indexOf(name);
      const confidence = re === NAME_CUE_RE ? 0.8 : re === SIGNOFF_RE ? 0.65 : words.length > 1 ? 0.75 : 0.55;
      add('person-name', start, start + name.length, maskName(name), confidence);
    }
  }
  return dedupe(out);
}

/** Keeps the most confident of overlapping matches, in text order. */
function dedupe(matches: PiiMatch[]): PiiMatch[] {
  const sorted = [...matches].sort(
    (a, b) => b.confidence - a.confidence || b.end - b.start - (a.end - a.start),
  );
  const kept: PiiMatch[] = [];
  for (const m of sorted) if (!kept.some((k) => m.start < k.end && k.start < m.end)) kept.push(m);
  return kept.sort((a, b) => a.start - b.start);
}

const KIND_SEVERITY: ReadonlyArray<readonly [RegExp, Severity]> = [
  [/^(?:card|ssn|iban|national-id)/, 'high'],
  [/^(?:email|phone|address)/, 'medium'],
  [/^(?:person-name|ip)/, 'low'],
];

function severityOf(kind: string): Severity {
  for (const [re, s] of KIND_SEVERITY) if (re.test(kind)) return s;
  return 'low';
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
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('pii', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord, ctx: DetectorContext): RecordAnalysis<unknown> | undefined {
    const { minConfidence, ignore } = readOptions(ctx.options);
    const findings: FindingDraft[] = [];
    for (const t of record.texts) {
      const byKind = new Map<string, PiiMatch[]>();
      for (const m of findPii(t.text)) {
        if (m.confidence < minConfidence || ignore.some((p) => m.kind === p || m.kind.startsWith(`${p}.`)))
          continue;
        const list = byKind.get(m.kind) ?? [];
        list.push(m);
        byKind.set(m.kind, list);
      }
      for (const [kind, list] of byKind) {
        const top = Math.max(...list.map((m) => m.confidence));
        findings.push({
          detector: 'pii',
          rule: `pii.${kind}`,
          severity: severityOf(kind),
          field: t.field,
          message: `${list.length} ${kind.replace(/[.-]/g, ' ')} value${list.length > 1 ? 's' : ''} (validated)`,
          evidence: {
            count: list.length,
            masked: list.slice(0, 3).map((m) => m.masked),
            offsets: list.slice(0, 3).map((m) => m.start),
          },
          score: top,
        });
      }
    }
    return findings.length > 0 ? { findings } : undefined;
  },
};
