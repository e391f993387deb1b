import type { Finding, Severity } from '../../contracts/finding.js';
import { artifactFinding } from '../artifact-finding.js';

/**
 * Inspection of Jinja chat templates (`tokenizer.chat_template` in GGUF,
 * `chat_template` in tokenizer_config.json, `chat_template.jinja`).
 *
 * Templates run on every request inside the serving stack. We look for the
 * server-side template injection (SSTI) constructs used to escape Jinja
 * sandboxes, and for templates that smuggle fixed instructions or triggers
 * into the conversation. Heuristic and structural, not an execution sandbox.
 */

/** Attribute names used to climb from any object to builtins/modules. */
const DUNDER =
  /__(class|globals|builtins|subclasses|mro|base|bases|init|import|dict|getattribute|getattr|reduce|reduce_ex|code|func|self|module|loader|spec)__/;
/** Obfuscated underscores (`\x5f`, `\u005f`, octal `\137`) build dunders past simple filters. */
const ESCAPED_UNDERSCORE = /\\x5f|\\u005f|\\U0000005f|\\137/i;
/** Identifiers that only appear in a template to reach code. */
const CODE_IDENTIFIERS =
  /\b(os|subprocess|importlib|builtins|sys|request|config|application)\s*(?:\.|\[)|\b(popen|system|eval|exec|compile|__import__|import_module|getattr|setattr|globals|locals|open|read_text|url_for|get_flashed_messages)\s*\(/;
/** Jinja globals usable as a foothold (their `__init__.__globals__` reaches Python modules). */
const GADGETS = /\b(cycler|joiner|lipsum|namespace|self|range|dict)\s*(\.|\[|\|\s*attr)/;
const GADGET_CALLS = /\b(cycler|joiner|lipsum)\s*\(/;
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/u;
const INSTRUCTION_PHRASES =
  /\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|user'?s?)\s+(instructions|messages|rules)|\b(do\s+not|don'?t|never)\s+(tell|reveal|mention|disclose|inform|let)\b|\b(keep\s+(this|it)\s+(a\s+)?secret|without\s+(telling|informing|notifying))\b|\bregardless\s+of\s+(what\s+)?the\s+user|\bfrom\s+now\s+on\b|\bexfiltrat|\bhttps?:\/\/|\bsend\s+.{0,40}\bto\b.{0,40}@/i;
/** Role headers of common chat formats, as they appear in template literals. */
const ROLE_HEADER =
  /<\|im_start\|>\s*system|<\|start_header_id\|>\s*system|<<SYS>>|<start_of_turn>\s*system|<\|system\|>|\[SYSTEM_PROMPT\]|<\|?system\|?>/i;
/** Conversation-dependent branching on a fixed substring (a trigger). */
const CONTENT_CONDITION =
  /(['"][^'"]{2,}['"]\s+(not\s+)?in\s+[\w.[\]'"]*content)|(content[\w.[\]'"]*\s*\|\s*(lower|upper)?\s*\)?\s*\.?\s*(startswith|endswith)\s*\()|(content[\w.[\]'"]*\.(startswith|endswith|find|count)\s*\()/;

/** Inspects one chat template; `field` names where it came from (metadata key, JSON path). */
export function inspectChatTemplate(template: string, file: string, field: string): Finding[] {
  const findings: Finding[] = [];
  const flag = (rule: string, severity: Severity, message: string, snippet: string) =>
    findings.push(
      artifactFinding({
        detector: 'chat-template',
        rule,
        severity,
        file,
        field,
        message,
        evidence: { snippet: snippet.length > 160 ? `${snippet.slice(0, 157)}...` : snippet },
      }),
    );

  const code: string[] = [];
  const literals: string[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}|\{#[\s\S]*?#\}/g)) {
    literals.push(template.slice(last, m.index));
    last = m.index + m[0].length;
    const body = m[1] ?? m[2];
    if (body === undefined) continue;
    code.push(body);
    for (const s of body.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g))
      literals.push(s[1] ?? s[2] ?? '');
  }
  literals.push(template.slice(last));

  const seen = new Set<string>();
  const once = (rule: string, severity: Severity, message: string, snippet: string) => {
    if (seen.has(rule)) return;
    seen.add(rule);
    flag(rule, severity, message, snippet);
  };
  for (const body of code) {
    const bare = body.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
    const d = DUNDER.exec(body);
    if (d)
      once(
        'dunder_access',
        'critical',
        `template reaches Python internals through ${d[0]} (sandbox escape)`,
        body.trim(),
      );
    if (ESCAPED_UNDERSCORE.test(body))
      once(
        'obfuscated_name',
        'critical',
        'template builds names from escaped underscores (filter evasion)',
        body.trim(),
      );
    if (/\|\s*attr\s*\(/.test(bare) || /\[\s*''\s*(~|\+)/.test(bare))
      once(
        'dynamic_attribute',
        'high',
        'template looks up attributes by computed name (|attr or string concatenation)',
        body.trim(),
      );
    const g = GADGETS.exec(bare);
    if (g)
      once(
        'gadget_access',
        'critical',
        `template accesses attributes of the Jinja global ${g[1]} (known SSTI gadget)`,
        body.trim(),
      );
    const gc = GADGET_CALLS.exec(bare);
    if (gc)
      once(
        'gadget_call',
        'medium',
        `template uses the Jinja global ${gc[1]}, which chat templates do not need`,
        body.trim(),
      );
    const c = CODE_IDENTIFIERS.exec(bare);
    if (c)
      once(
        'code_identifier',
        'high',
        `template uses ${JSON.stringify(c[1] ?? c[2])}, which has no place in a chat template`,
        body.trim(),
      );
    if (/^-?\s*(import|from|include|extends)\b/.test(body))
      once(
        'template_import',
        'high',
        'template imports or includes other templates (loads code from outside the model)',
        body.trim(),
      );
    if (CONTENT_CONDITION.test(body))
      once(
        'content_trigger',
        'high',
        'template branches on a fixed substring of message content (trigger-conditioned output)',
        body.trim(),
      );
  }
  for (const lit of literals) {
    if (INVISIBLE.test(lit))
      once(
        'invisible_text',
        'high',
        'template emits invisible Unicode (zero-width, bidi or tag characters)',
        JSON.stringify(lit),
      );
    const phrase = INSTRUCTION_PHRASES.exec(lit);
    if (phrase) {
      const inSystem = ROLE_HEADER.test(lit);
      once(
        inSystem ? 'hidden_system_instruction' : 'hidden_instruction',
        inSystem ? 'critical' : 'high',
        `template injects fixed instruction text${inSystem ? ' into a system turn' : ''} (${JSON.stringify(phrase[0])})`,
        lit.trim(),
      );
    }
  }
  // A system header emitted after the loop over messages (or from a literal that also closes a user turn)
  // injects a turn the caller never sent.
  const afterLoop = template
    .split(/\{%-?\s*endfor\s*-?%\}/)
    .slice(1)
    .join('');
  if (
    ROLE_HEADER.test(
      afterLoop.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (m) => (/'[^']*'|"[^"]*"/.test(m) ? m : '')),
    )
  )
    once(
      'injected_system_turn',
      'high',
      'template appends a system turn after the conversation',
      afterLoop.trim(),
    );
  return findings;
}
