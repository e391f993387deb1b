/**
 * Frozen copy of the detector as it was before the candidate-start rewrite: the reference the
 * fast path is checked against (see the "fast path" tests). Not used outside tests.
 */
import type { Severity } from '../../../../contracts/finding.js';
import type { DatasetRecord } from '../../../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../../../detector.js';
import { parseDetectorOptions, z } from '../../../options.js';
import { maskToken } from '../../masking.js';
import { cachedOptions } from '../../options-cache.js';

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
  /** Literals of which one must occur for the rule to match at all (a native substring search before the regex). */
  hints: readonly string[];
}

const TOKEN_RULES: readonly TokenRule[] = [
  {
    kind: 'aws-access-key',
    re: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z2-7]{16}(?![A-Z0-9])/g,
    prefix: 4,
    severity: 'critical',
    hints: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AROA', 'AIDA'],
  },
  {
    kind: 'aws-secret-key',
    re: /aws_?secret_?(?:access_?)?key["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    prefix: 0,
    severity: 'critical',
    hints: [],
    group: 1,
  },
  {
    kind: 'gcp-api-key',
    re: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g,
    prefix: 4,
    severity: 'high',
    hints: ['AIza'],
  },
  {
    kind: 'azure-storage-key',
    re: /AccountKey=([A-Za-z0-9+/]{86}==)/g,
    prefix: 0,
    severity: 'critical',
    hints: ['AccountKey='],
    group: 1,
  },
  {
    kind: 'azure-client-secret',
    re: /(?<![\w~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])/g,
    prefix: 0,
    severity: 'high',
    hints: ['Q~'],
  },
  {
    kind: 'azure-sas-token',
    re: /[?&]sig=([A-Za-z0-9%+/]{40,100}(?:%3D|=){0,2})(?=&|\s|$|["'])/g,
    prefix: 0,
    severity: 'high',
    hints: ['sig='],
    group: 1,
  },
  {
    kind: 'github-token',
    re: /(?<![\w])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}(?!\w)/g,
    prefix: 4,
    severity: 'critical',
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
  },
  {
    kind: 'github-fine-grained-token',
    re: /(?<![\w])github_pat_[A-Za-z0-9_]{80,90}(?!\w)/g,
    prefix: 11,
    severity: 'critical',
    hints: ['github_pat_'],
  },
  {
    kind: 'gitlab-token',
    re: /(?<![\w-])glpat-[A-Za-z0-9_-]{20,50}(?![\w-])/g,
    prefix: 6,
    severity: 'critical',
    hints: ['glpat-'],
  },
  {
    kind: 'slack-token',
    re: /(?<![\w-])xox[abposr]-(?:\d{1,15}-){1,3}[A-Za-z0-9-]{10,72}(?![\w-])/g,
    prefix: 5,
    severity: 'critical',
    hints: ['xox'],
  },
  {
    kind: 'slack-webhook',
    re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,30}/g,
    prefix: 32,
    severity: 'high',
    hints: ['hooks.slack.com'],
  },
  {
    kind: 'stripe-key',
    re: /(?<![\w])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,99}(?!\w)/g,
    prefix: 8,
    severity: 'critical',
    hints: ['_live_', '_test_'],
  },
  {
    kind: 'anthropic-key',
    re: /(?<![\w-])sk-ant-(?:api\d{2}|admin\d{2})-[A-Za-z0-9_-]{80,120}(?![\w-])/g,
    prefix: 7,
    severity: 'critical',
    hints: ['sk-ant-'],
  },
  {
    kind: 'openai-key',
    re: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}(?![\w-])|(?<![\w-])sk-[A-Za-z0-9]{48}(?![\w-])|(?<![\w-])sk-proj-[A-Za-z0-9_-]{40,200}(?![\w-])/g,
    prefix: 3,
    severity: 'critical',
    hints: ['sk-'],
  },
  {
    kind: 'huggingface-token',
    re: /(?<![\w])hf_[A-Za-z]{34,40}(?!\w)/g,
    prefix: 3,
    severity: 'high',
    hints: ['hf_'],
  },
  {
    kind: 'npm-token',
    re: /(?<![\w])npm_[A-Za-z0-9]{36}(?!\w)/g,
    prefix: 4,
    severity: 'high',
    hints: ['npm_'],
  },
  {
    kind: 'sendgrid-key',
    re: /(?<![\w])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])/g,
    prefix: 3,
    severity: 'high',
    hints: ['SG.'],
  },
  {
    kind: 'twilio-key',
    re: /(?<![\w])SK[0-9a-f]{32}(?![\w])/g,
    prefix: 2,
    severity: 'medium',
    hints: ['SK'],
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

// Case-insensitive literal gates (rules whose regex has the `i` flag).
const AWS_HINT_RE = /aws_?secret/i;
// Necessary for an ASSIGNMENT_RE match: a secret-like name right before the assignment operator.
// That regex tries an identifier prefix of up to 40 characters at every position, so it was the
// detector's main cost on prose; this plain alternation rules most texts out first.
const ASSIGNMENT_HINT_RE =
  /(?:password|passwd|pwd|pass|secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token|access[_-]?token|refresh[_-]?token|bearer|token|credentials?)["']?\s{0,3}(?:[:=]|=>|:=)/i;
// Connection strings: the scheme right before a `://` (CONN_STRING_RE then runs from there only).
const CONN_SCHEME_BEFORE_RE =
  /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|oracle|ftp|sftp|smtp|ldap)$/i;

function ruleMayMatch(r: TokenRule, text: string): boolean {
  if (r.kind === 'aws-secret-key') return AWS_HINT_RE.test(text);
  for (const h of r.hints) if (text.includes(h)) return true;
  return false;
}

/** The CONN_STRING_RE matches, found from each `://` whose scheme is a database/mail/file protocol. */
function connectionStrings(text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let resume = 0;
  for (let p = text.indexOf('://'); p >= 0; p = text.indexOf('://', p + 3)) {
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
  for (const r of TOKEN_RULES) {
    if (!ruleMayMatch(r, text)) continue;
    r.re.lastIndex = 0;
    for (const m of text.matchAll(r.re)) {
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
  if (text.includes('eyJ')) {
    for (const m of text.matchAll(JWT_RE)) {
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
  if (text.includes('-----BEGIN')) {
    for (const m of text.matchAll(PRIVATE_KEY_RE)) {
      out.push({
        kind: 'private-key',
        start: m.index,
        end: m.index + m[0].length,
        masked: `-----BEGIN ${m[1]}----- …(${m[0].length} chars)`,
        confidence: 0.99,
      });
    }
  }
  if (text.includes('service_account')) {
    for (const m of text.matchAll(GCP_SA_RE)) {
      out.push({
        kind: 'gcp-service-account-key',
        start: m.index,
        end: m.index + m[0].length,
        masked: '"type": "service_account", "private_key…": …',
        confidence: 0.97,
      });
    }
  }
  if (text.includes('://')) {
    for (const m of connectionStrings(text)) {
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
  for (const m of ASSIGNMENT_HINT_RE.test(text) ? text.matchAll(ASSIGNMENT_RE) : []) {
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
