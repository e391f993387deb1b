import type { Severity } from '../../contracts/finding.js';
import type { DatasetRecord } from '../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import { isJsWhitespace } from '../text/whitespace.js';
import { maskToken } from './masking.js';
import { cachedOptions } from './options-cache.js';

/**
 * Credentials in training data: cloud keys (AWS, GCP service accounts, Azure),
 * SaaS tokens (GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, Hugging
 * Face, npm, SendGrid, Twilio), JWTs (header decoded), private key blocks,
 * connection strings with passwords, and high-entropy values assigned to
 * secret-looking names. Values are always masked in findings.
 */

export interface SecretMatch {
  kind: string;
  start: number;
  end: number;
  masked: string;
  confidence: number;
  detail?: Record<string, unknown>;
}

interface TokenRule {
  kind: string;
  re: RegExp;
  /** Characters of the value kept visible (the public prefix that names the kind). */
  prefix: number;
  severity: Severity;
  /** Capture group holding the secret value (0 = whole match). */
  group?: number;
  /** The candidate list (see `secretCandidates`) holding every position where `re` can match. */
  from: TokenCandidates;
}

const TOKEN_RULES: readonly TokenRule[] = [
  {
    kind: 'aws-access-key',
    re: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z2-7]{16}(?![A-Z0-9])/g,
    prefix: 4,
    severity: 'critical',
    from: 'awsAccess',
  },
  {
    kind: 'aws-secret-key',
    re: /aws_?secret_?(?:access_?)?key["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    prefix: 0,
    severity: 'critical',
    from: 'awsSecret',
    group: 1,
  },
  {
    kind: 'gcp-api-key',
    re: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g,
    prefix: 4,
    severity: 'high',
    from: 'gcpApi',
  },
  {
    kind: 'azure-storage-key',
    re: /AccountKey=([A-Za-z0-9+/]{86}==)/g,
    prefix: 0,
    severity: 'critical',
    from: 'azureStorage',
    group: 1,
  },
  {
    kind: 'azure-client-secret',
    re: /(?<![\w~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])/g,
    prefix: 0,
    severity: 'high',
    from: 'azureClient',
  },
  {
    kind: 'azure-sas-token',
    re: /[?&]sig=([A-Za-z0-9%+/]{40,100}(?:%3D|=){0,2})(?=&|\s|$|["'])/g,
    prefix: 0,
    severity: 'high',
    from: 'azureSas',
    group: 1,
  },
  {
    kind: 'github-token',
    re: /(?<![\w])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}(?!\w)/g,
    prefix: 4,
    severity: 'critical',
    from: 'github',
  },
  {
    kind: 'github-fine-grained-token',
    re: /(?<![\w])github_pat_[A-Za-z0-9_]{80,90}(?!\w)/g,
    prefix: 11,
    severity: 'critical',
    from: 'githubFine',
  },
  {
    kind: 'gitlab-token',
    re: /(?<![\w-])glpat-[A-Za-z0-9_-]{20,50}(?![\w-])/g,
    prefix: 6,
    severity: 'critical',
    from: 'gitlab',
  },
  {
    kind: 'slack-token',
    re: /(?<![\w-])xox[abposr]-(?:\d{1,15}-){1,3}[A-Za-z0-9-]{10,72}(?![\w-])/g,
    prefix: 5,
    severity: 'critical',
    from: 'slackToken',
  },
  {
    kind: 'slack-webhook',
    re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,30}/g,
    prefix: 32,
    severity: 'high',
    from: 'slackWebhook',
  },
  {
    kind: 'stripe-key',
    re: /(?<![\w])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,99}(?!\w)/g,
    prefix: 8,
    severity: 'critical',
    from: 'stripe',
  },
  {
    kind: 'anthropic-key',
    re: /(?<![\w-])sk-ant-(?:api\d{2}|admin\d{2})-[A-Za-z0-9_-]{80,120}(?![\w-])/g,
    prefix: 7,
    severity: 'critical',
    from: 'anthropic',
  },
  {
    kind: 'openai-key',
    re: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}(?![\w-])|(?<![\w-])sk-[A-Za-z0-9]{48}(?![\w-])|(?<![\w-])sk-proj-[A-Za-z0-9_-]{40,200}(?![\w-])/g,
    prefix: 3,
    severity: 'critical',
    from: 'openai',
  },
  {
    kind: 'huggingface-token',
    re: /(?<![\w])hf_[A-Za-z]{34,40}(?!\w)/g,
    prefix: 3,
    severity: 'high',
    from: 'huggingface',
  },
  {
    kind: 'npm-token',
    re: /(?<![\w])npm_[A-Za-z0-9]{36}(?!\w)/g,
    prefix: 4,
    severity: 'high',
    from: 'npm',
  },
  {
    kind: 'sendgrid-key',
    re: /(?<![\w])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])/g,
    prefix: 3,
    severity: 'high',
    from: 'sendgrid',
  },
  {
    kind: 'twilio-key',
    re: /(?<![\w])SK[0-9a-f]{32}(?![\w])/g,
    prefix: 2,
    severity: 'medium',
    from: 'twilio',
  },
];

const JWT_RE =
  /(?<![\w-])eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{16,1000}(?![\w-])/g;
const PRIVATE_KEY_RE =
  /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----[\s\S]{0,12000}?(?:-----END \1-----|$)/g;
const GCP_SA_RE =
  /"type"\s{0,3}:\s{0,3}"service_account"[\s\S]{0,3000}?"private_key(?:_id)?"\s{0,3}:\s{0,3}"([^"]{8,})"/g;
const CONN_STRING_RE =
  /\b((?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|oracle|ftp|sftp|smtp|ldap)):\/\/([^:@/\s'"]{1,64}):([^@/\s'"]{1,128})@([^/\s'"?]{1,255})/gi;
// Sticky form of CONN_STRING_RE, run where `connectionStrings` found a scheme.
const CONN_STRING_AT_RE = new RegExp(CONN_STRING_RE.source, 'iy');
const ASSIGNMENT_RE =
  /(?<![\w])((?:[A-Za-z_][A-Za-z0-9_]{0,40}[_-])?(?:password|passwd|pwd|pass|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token|access[_-]?token|refresh[_-]?token|bearer|token|credentials?))["']?\s{0,3}(?:[:=]|=>|:=)\s{0,3}(["']?)([^\s"',;`)}{]{8,200})\2/gi;
const PLACEHOLDER_RE =
  /^(?:x{3,}|\*{3,}|\.{3,}|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%[^%]*%|your[_-]|my[_-]|changeme|change[_-]?me|example|sample|dummy|placeholder|redacted|none|null|undefined|true|false|password|secret|test|demo|foo|bar)/i;

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function decodeJwtHeader(token: string): Record<string, unknown> | undefined {
  try {
    const header = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'),
    ) as unknown;
    if (header && typeof header === 'object' && !Array.isArray(header))
      return header as Record<string, unknown>;
  } catch {
    // Not JSON: not a JWT.
  }
  return undefined;
}

// Connection strings: the scheme right before a `://` (CONN_STRING_RE then runs from there only).
const CONN_SCHEME_BEFORE_RE =
  /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|oracle|ftp|sftp|smtp|ldap)$/i;

const sticky = (re: RegExp): RegExp => new RegExp(re.source, `${re.flags.replace('g', '')}y`);
const RULE_AT = TOKEN_RULES.map((r) => sticky(r.re));
const JWT_AT = sticky(JWT_RE);
const PRIVATE_KEY_AT = sticky(PRIVATE_KEY_RE);
const GCP_SA_AT = sticky(GCP_SA_RE);
const ASSIGNMENT_AT = sticky(ASSIGNMENT_RE);

/** Names of the candidate lists of the token rules. */
type TokenCandidates =
  | 'awsAccess'
  | 'awsSecret'
  | 'gcpApi'
  | 'azureStorage'
  | 'azureClient'
  | 'azureSas'
  | 'github'
  | 'githubFine'
  | 'gitlab'
  | 'slackToken'
  | 'slackWebhook'
  | 'stripe'
  | 'anthropic'
  | 'openai'
  | 'huggingface'
  | 'npm'
  | 'sendgrid'
  | 'twilio';

/** Per pattern, the positions (ascending, duplicates possible) where it can start in a text. */
type Candidates = Record<
  TokenCandidates | 'jwt' | 'privateKey' | 'gcpServiceAccount' | 'assignment',
  number[]
> & {
  /** Positions of `://`. */
  schemes: number[];
};

/** `text.charCodeAt(i)`, or -1 outside the text: out-of-range reads (NaN) deoptimise the hot loops. */
function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

const isWordCode = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Whether `text` holds `word` (lower case) ending at `end`, ignoring ASCII case. */
function endsWithFolded(text: string, end: number, word: string): boolean {
  const start = end - word.length;
  if (start < 0) return false;
  for (let i = 0; i < word.length; i++)
    if ((codeAt(text, start + i) | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

// Every ASSIGNMENT_RE name ends in one of these (`key` covers api_key, apikey, access-key, …).
const NAME_ENDINGS = [
  'pass',
  'password',
  'passwd',
  'pwd',
  'secret',
  'key',
  'token',
  'bearer',
  'credential',
  'credentials',
];
/** NAME_ENDINGS by their last letter (index: letter - 'a'). */
const NAME_ENDINGS_BY_LAST: string[][] = Array.from({ length: 26 }, (_, i) =>
  NAME_ENDINGS.filter((w) => w.charCodeAt(w.length - 1) === 97 + i),
);
// The longest name ASSIGNMENT_RE allows before its operator: a 42-character prefix and a 13-character keyword.
const MAX_NAME = 42 + 13;
// Lengths of `aws_?secret_?(?:access_?)?key`.
const AWS_NAME_LENGTHS = [21, 20, 19, 18, 14, 13, 12];

/**
 * For an assignment operator (`:` or `=`, which also start `:=` and `=>`) at `op`: where
 * ASSIGNMENT_RE and the AWS secret-key pattern can start. Both put a name, `["']?` and
 * `\s{0,3}` before the operator; ASSIGNMENT_RE's name is `(?:[A-Za-z_][A-Za-z0-9_]{0,40}[_-])?keyword`
 * after a non-word character, so it starts where the run of `[A-Za-z0-9_-]` ending at the name
 * starts, or right after a dash inside it.
 */
function assignmentStarts(text: string, op: number, c: Candidates): void {
  let j = op - 1;
  for (let k = 0; k < 3 && isJsWhitespace(codeAt(text, j)); k++) j--;
  const quote = codeAt(text, j);
  if (quote === 34 || quote === 39) j--;
  // d (password, passwd, pwd), s (pass, credentials), t, y, n, r, l: the names' last letters.
  const last = codeAt(text, j) | 0x20;
  if (
    last !== 100 &&
    last !== 115 &&
    last !== 116 &&
    last !== 121 &&
    last !== 110 &&
    last !== 114 &&
    last !== 108
  )
    return;
  if (namedBefore(text, j + 1, last)) pushAssignmentStarts(text, j + 1, last === 121, c);
}

/** Whether one of the ASSIGNMENT_RE name endings ends at `end`, `last` being its last letter (lower case). */
function namedBefore(text: string, end: number, last: number): boolean {
  for (const w of NAME_ENDINGS_BY_LAST[last - 97] ?? []) if (endsWithFolded(text, end, w)) return true;
  return false;
}

/** The starts for a name ending at `end` (`key` says it ends in y, as the AWS names do). */
function pushAssignmentStarts(text: string, end: number, key: boolean, c: Candidates): void {
  if (key) {
    for (const n of AWS_NAME_LENGTHS) if (endsWithFolded(text, end - n + 3, 'aws')) c.awsSecret.push(end - n);
  }
  const from = c.assignment.length;
  for (let s = end - 1; s >= 0 && s >= end - MAX_NAME; s--) {
    const before = codeAt(text, s - 1);
    if (before === 45) c.assignment.push(s);
    else if (!isWordCode(before)) {
      c.assignment.push(s);
      break;
    }
  }
  // Pushed right to left; the lists are ascending.
  reverseFrom(c.assignment, from);
}

function reverseFrom(a: number[], from: number): void {
  for (let i = from, j = a.length - 1; i < j; i++, j--) {
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
}

const startsAt = (text: string, literal: string, at: number): boolean =>
  at >= 0 && text.startsWith(literal, at);

/** The candidate lists, reused by every call (findSecrets is synchronous and keeps none of them). */
const CANDIDATES: Candidates = {
  awsAccess: [],
  awsSecret: [],
  gcpApi: [],
  azureStorage: [],
  azureClient: [],
  azureSas: [],
  github: [],
  githubFine: [],
  gitlab: [],
  slackToken: [],
  slackWebhook: [],
  stripe: [],
  anthropic: [],
  openai: [],
  huggingface: [],
  npm: [],
  sendgrid: [],
  twilio: [],
  jwt: [],
  privateKey: [],
  gcpServiceAccount: [],
  assignment: [],
  schemes: [],
};
const ALL_LISTS: number[][] = Object.values(CANDIDATES);
/** Per token rule, its candidate list (a fixed array: looking lists up by name per call cost more). */
const RULE_LISTS: number[][] = TOKEN_RULES.map((r) => CANDIDATES[r.from]);

/**
 * The candidate starts of every pattern, from native searches for one character each pattern
 * must contain at a fixed distance from its start (`A`, `S`, `_`, `-`, `~`, `=`, `:`, `J` and
 * `BEGIN`) instead of one substring search per literal hint and a whole-text pass per pattern.
 */
function secretCandidates(text: string): Candidates {
  const c = CANDIDATES;
  // Setting an array's length is a runtime call: only the lists the last text filled are cleared.
  for (const list of ALL_LISTS) if (list.length !== 0) list.length = 0;
  // One small function per search: a first-seen branch deoptimises only its own loop, which
  // V8 re-optimises quickly, instead of one large function that a long text would then run
  // interpreted (that cost more than the searches themselves on the first records).
  scanCapitalA(text, c);
  scanCapitalS(text, c);
  scanUnderscores(text, c);
  scanDashes(text, c);
  // One-character searches for the rarer character of each pair: a native search for a longer
  // literal stops at every occurrence of its first character (Q, y) and costs more.
  for (let t = text.indexOf('~'); t >= 0; t = text.indexOf('~', t + 1))
    // \dQ~ three characters into the match.
    if (t >= 5 && text.charCodeAt(t - 1) === 81) c.azureClient.push(t - 5);
  scanEquals(text, c);
  const fromEquals = c.assignment.length;
  const awsFromEquals = c.awsSecret.length;
  scanColons(text, c);
  // Both operator searches fed the assignment lists; each part is ascending.
  if (fromEquals > 0 && fromEquals < c.assignment.length) c.assignment.sort(ascending);
  if (awsFromEquals > 0 && awsFromEquals < c.awsSecret.length) c.awsSecret.sort(ascending);
  for (let j = text.indexOf('J'); j >= 0; j = text.indexOf('J', j + 1))
    if (j >= 2 && text.charCodeAt(j - 1) === 121 && text.charCodeAt(j - 2) === 101) c.jwt.push(j - 2);
  for (let i = text.indexOf('BEGIN'); i >= 0; i = text.indexOf('BEGIN', i + 1))
    if (startsAt(text, '-----', i - 5)) c.privateKey.push(i - 5);
  return c;
}

/** AKIA ASIA ABIA ACCA AROA AIDA, AIza. */
function scanCapitalA(text: string, c: Candidates): void {
  for (let i = text.indexOf('A'); i >= 0; i = text.indexOf('A', i + 1)) {
    const n = codeAt(text, i + 1);
    if (n === 73 && text.startsWith('Iza', i + 1)) c.gcpApi.push(i);
    else if (
      (n === 75 && text.startsWith('KIA', i + 1)) ||
      (n === 83 && text.startsWith('SIA', i + 1)) ||
      (n === 66 && text.startsWith('BIA', i + 1)) ||
      (n === 67 && text.startsWith('CCA', i + 1)) ||
      (n === 82 && text.startsWith('ROA', i + 1)) ||
      (n === 73 && text.startsWith('IDA', i + 1))
    )
      c.awsAccess.push(i);
  }
}

/** SK and SG. */
function scanCapitalS(text: string, c: Candidates): void {
  for (let i = text.indexOf('S'); i >= 0; i = text.indexOf('S', i + 1)) {
    const n = codeAt(text, i + 1);
    if (n === 75) c.twilio.push(i);
    else if (n === 71 && codeAt(text, i + 2) === 46) c.sendgrid.push(i);
  }
}

/** gh?_, github_pat_, (sk|rk)_(live|test)_, hf_, npm_. */
function scanUnderscores(text: string, c: Candidates): void {
  for (let i = text.indexOf('_'); i >= 0; i = text.indexOf('_', i + 1)) {
    const p = codeAt(text, i - 1);
    if (p === 102) {
      if (codeAt(text, i - 2) === 104) c.huggingface.push(i - 2);
    } else if (p === 109) {
      if (startsAt(text, 'np', i - 3)) c.npm.push(i - 3);
    } else if (p === 107) {
      const k = codeAt(text, i - 2);
      if ((k === 115 || k === 114) && (text.startsWith('live_', i + 1) || text.startsWith('test_', i + 1)))
        c.stripe.push(i - 2);
    } else if (p === 98) {
      if (startsAt(text, 'github_pat_', i - 6)) c.githubFine.push(i - 6);
    } else if (p === 112 || p === 111 || p === 117 || p === 115 || p === 114) {
      if (startsAt(text, 'gh', i - 3)) c.github.push(i - 3);
    }
  }
}

/** glpat-, xox?-, sk- (and sk-ant-). */
function scanDashes(text: string, c: Candidates): void {
  for (let i = text.indexOf('-'); i >= 0; i = text.indexOf('-', i + 1)) {
    const p = codeAt(text, i - 1);
    if (p === 107) {
      if (codeAt(text, i - 2) === 115) {
        c.openai.push(i - 2);
        if (text.startsWith('ant-', i + 1)) c.anthropic.push(i - 2);
      }
    } else if (p === 116) {
      if (startsAt(text, 'glpa', i - 5)) c.gitlab.push(i - 5);
    } else if (p >= 97 && startsAt(text, 'xox', i - 4) && 'abposr'.includes(text[i - 1] as string))
      c.slackToken.push(i - 4);
  }
}

/** AccountKey=, [?&]sig=, and assignments with `=`, `=>`. */
function scanEquals(text: string, c: Candidates): void {
  for (let i = text.indexOf('='); i >= 0; i = text.indexOf('=', i + 1)) {
    if (startsAt(text, 'AccountKey', i - 10)) c.azureStorage.push(i - 10);
    else if (startsAt(text, 'sig', i - 3) && (codeAt(text, i - 4) === 63 || codeAt(text, i - 4) === 38))
      c.azureSas.push(i - 4);
    assignmentStarts(text, i, c);
  }
}

/** `://` (connection strings, Slack webhooks), `"type":` (service accounts), assignments with `:`, `:=`. */
function scanColons(text: string, c: Candidates): void {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    if (codeAt(text, i + 1) === 47 && codeAt(text, i + 2) === 47) {
      c.schemes.push(i);
      if (startsAt(text, 'https://hooks.slack.com/', i - 5)) c.slackWebhook.push(i - 5);
    }
    // "type"\s{0,3}: opens a service-account key.
    let j = i - 1;
    for (let k = 0; k < 3 && isJsWhitespace(codeAt(text, j)); k++) j--;
    if (codeAt(text, j) === 34 && startsAt(text, '"type', j - 5)) c.gcpServiceAccount.push(j - 5);
    assignmentStarts(text, i, c);
  }
}

const ascending = (a: number, b: number): number => a - b;

/** Runs sticky `re` at each of `starts` (ascending) past the previous match: the matches of the global pattern. */
function* matchesAt(re: RegExp, text: string, starts: readonly number[]): Generator<RegExpExecArray> {
  let resume = 0;
  for (const at of starts) {
    if (at < resume) continue;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) continue;
    resume = at + m[0].length;
    yield m;
  }
}

/** The CONN_STRING_RE matches, found from each `://` whose scheme is a database/mail/file protocol. */
function connectionStrings(text: string, schemes: readonly number[]): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let resume = 0;
  for (const p of schemes) {
    // Web links are most of them, and no listed scheme ends like http or https.
    if (endsWithFolded(text, p, 'http') || endsWithFolded(text, p, 'https')) continue;
    const scheme = CONN_SCHEME_BEFORE_RE.exec(text.slice(Math.max(0, p - 16), p));
    if (!scheme) continue;
    const at = p - scheme[0].length;
    if (at < resume) continue;
    CONN_STRING_AT_RE.lastIndex = at;
    const m = CONN_STRING_AT_RE.exec(text);
    if (!m) continue;
    out.push(m);
    resume = at + m[0].length;
  }
  return out;
}

/** Finds secrets in `text`; matches never overlap and values are masked. */
export function findSecrets(text: string, minEntropy = 3.5): SecretMatch[] {
  const out: SecretMatch[] = [];
  const c = secretCandidates(text);
  for (let k = 0; k < TOKEN_RULES.length; k++) {
    const r = TOKEN_RULES[k] as TokenRule;
    const starts = RULE_LISTS[k] as number[];
    if (starts.length === 0) continue;
    for (const m of matchesAt(RULE_AT[k] as RegExp, text, starts)) {
      const value = m[r.group ?? 0] ?? m[0];
      const start = m.index + (r.group ? m[0].indexOf(value) : 0);
      out.push({
        kind: r.kind,
        start,
        end: start + value.length,
        masked: maskToken(value, r.prefix),
        confidence: 0.95,
      });
    }
  }
  if (c.jwt.length > 0) {
    for (const m of matchesAt(JWT_AT, text, c.jwt)) {
      const header = decodeJwtHeader(m[0]);
      if (!header || typeof header.alg !== 'string') continue;
      out.push({
        kind: 'jwt',
        start: m.index,
        end: m.index + m[0].length,
        masked: maskToken(m[0], 3),
        confidence: 0.9,
        detail: {
          alg: header.alg,
          ...(typeof header.typ === 'string' ? { typ: header.typ } : {}),
          ...(typeof header.kid === 'string' ? { kid: `${header.kid.slice(0, 4)}…` } : {}),
        },
      });
    }
  }
  if (c.privateKey.length > 0) {
    for (const m of matchesAt(PRIVATE_KEY_AT, text, c.privateKey)) {
      out.push({
        kind: 'private-key',
        start: m.index,
        end: m.index + m[0].length,
        masked: `-----BEGIN ${m[1]}----- …(${m[0].length} chars)`,
        confidence: 0.99,
      });
    }
  }
  if (c.gcpServiceAccount.length > 0) {
    for (const m of matchesAt(GCP_SA_AT, text, c.gcpServiceAccount)) {
      out.push({
        kind: 'gcp-service-account-key',
        start: m.index,
        end: m.index + m[0].length,
        masked: '"type": "service_account", "private_key…": …',
        confidence: 0.97,
      });
    }
  }
  if (c.schemes.length > 0) {
    for (const m of connectionStrings(text, c.schemes)) {
      const password = m[3] as string;
      if (PLACEHOLDER_RE.test(password) || /^\$|^%24/.test(password)) continue;
      out.push({
        kind: 'connection-string',
        start: m.index,
        end: m.index + m[0].length,
        masked: `${m[1]}://${m[2]}:****@${m[4]}`,
        confidence: 0.9,
      });
    }
  }
  for (const m of c.assignment.length > 0 ? matchesAt(ASSIGNMENT_AT, text, c.assignment) : []) {
    const value = m[3] as string;
    // Identifiers and calls (`getPassword()`, `settings.SECRET_KEY`, `userToken`) are code, not values.
    if (
      PLACEHOLDER_RE.test(value) ||
      (/^[A-Za-z_$][\w$]*(?:\.[\w$]+)*\(?\)?$/.test(value) && !/\d/.test(value))
    )
      continue;
    // Code identifiers and prose are low-entropy; real secrets are long and mixed.
    const entropy = shannonEntropy(value);
    const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
    if (entropy < minEntropy || classes < 2 || value.length < 12) continue;
    const start = m.index + m[0].lastIndexOf(value);
    out.push({
      kind: 'high-entropy-assignment',
      start,
      end: start + value.length,
      masked: maskToken(value, 0),
      confidence: Math.min(0.9, 0.5 + (entropy - minEntropy) * 0.2),
      detail: { name: m[1], entropy: Math.round(entropy * 100) / 100 },
    });
  }
  if (out.length < 2) return out;
  const sorted = out.sort((a, b) => b.confidence - a.confidence || b.end - b.start - (a.end - a.start));
  const kept: SecretMatch[] = [];
  for (const s of sorted) if (!kept.some((k) => s.start < k.end && k.start < s.end)) kept.push(s);
  return kept.sort((a, b) => a.start - b.start);
}

const SEVERITY_BY_KIND: Readonly<Record<string, Severity>> = {
  jwt: 'high',
  'private-key': 'critical',
  'gcp-service-account-key': 'critical',
  'connection-string': 'high',
  'high-entropy-assignment': 'medium',
  ...Object.fromEntries(TOKEN_RULES.map((r) => [r.kind, r.severity])),
};

const OptionsSchema = z
  .object({
    /** Shannon entropy (bits/char) a value assigned to a secret-like name must reach. */
    minEntropy: z.number().min(1).max(6).default(3.5),
  })
  .strict();

const readOptions = cachedOptions(OptionsSchema);

export const secretsDetector: Detector = {
  id: 'secrets',
  description:
    'Credentials: cloud keys (AWS, GCP, Azure), GitHub/GitLab/Slack/Stripe/OpenAI/Anthropic/Hugging Face tokens, JWTs, private keys, connection strings with passwords, high-entropy secret assignments',
  defaultSeverity: 'critical',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('secrets', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord, ctx: DetectorContext): RecordAnalysis<unknown> | undefined {
    const { minEntropy } = readOptions(ctx.options);
    const findings: FindingDraft[] = [];
    for (const t of record.texts) {
      for (const s of findSecrets(t.text, minEntropy)) {
        findings.push({
          detector: 'secrets',
          rule: `secret.${s.kind}`,
          severity: SEVERITY_BY_KIND[s.kind] ?? 'high',
          field: t.field,
          message: `${s.kind.replace(/-/g, ' ')} in content`,
          evidence: { masked: s.masked, offset: s.start, ...(s.detail ?? {}) },
          score: s.confidence,
        });
      }
    }
    return findings.length > 0 ? { findings } : undefined;
  },
};
