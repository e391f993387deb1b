import { AnchorAutomaton } from '../text/anchor-automaton.js';

/**
 * Rules for injected instructions and jailbreak text, matched against folded
 * text (lower case, NFKC, Latin accents stripped; see `foldText`). In the rule
 * sources a space means "a word break": one to three spaces or punctuation
 * marks, so "ignore-all  previous" matches too; " ?" is an optional space. Quantifiers are bounded everywhere (no catastrophic backtracking).
 */

export type InjectionRuleId =
  | 'injection.override'
  | 'injection.jailbreak'
  | 'injection.prompt-extraction'
  | 'injection.tool-call'
  | 'injection.exfiltration'
  | 'injection.addressed-to-assistant';

export interface InjectionRule {
  id: InjectionRuleId;
  /** ISO 639-1 language of the phrasing, or `any`. */
  lang: string;
  re: RegExp;
  /** Only meaningful inside data (documents, tool results, answers), never in a user's own request. */
  dataOnly?: boolean;
  /** Substrings of which at least one must occur for the rule to run (a cheap gate before the regex). */
  anchors: readonly string[];
  /**
   * Literal starts of every match, derived from the source (the leading word of each branch), when
   * the source has them; `anchors` are then these unless given explicitly (a given list gates on
   * rarer words of the phrase).
   */
  starts?: readonly string[];
  /** Sticky form of `re`, present with `starts`: the rule is then tried only where a start occurs. */
  sticky?: RegExp;
  /**
   * More word sets every match holds one word of (besides `anchors` and `starts`), from later
   * parts of the phrase: rarer words that keep the rule from running on most texts.
   */
  requires?: readonly (readonly string[])[];
  /**
   * For a rule without literal starts: every match begins at the start of the text or at one of
   * `chars`, at most `span` characters before a word of `requires[0]`; the rule is then tried
   * (`windowSticky`) only at such positions.
   */
  window?: { span: number; chars: string };
  windowSticky?: RegExp;
  /**
   * For a rule with `starts` and `anchors`: every match starts at most `reach` code units before
   * an occurrence of one of its anchors (and not after it). {@link RuleScanner} then tries only the
   * starts that close to an anchor: common start words ("you", "ai") no longer send the rule to
   * a whole-text regex pass.
   */
  reach?: number;
}

// At least one separator: with an optional one, "(?:[a-z]{1,15} ){0,6}" could split a
// word in many ways and backtrack polynomially on long text.
const SEP = '[\\s\\p{P}]{1,3}';

/** Splits a regex source at top-level `|`. */
function topLevelBranches(source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
  }
  out.push(source.slice(start));
  return out;
}

/**
 * Anchors of a rule: the leading word of each top-level branch, or of each
 * alternative of a branch's leading `(?:...)` group. Every match of the rule
 * starts with one of them, so a text without any cannot match.
 */
export function deriveAnchors(source: string): string[] {
  const anchors: string[] = [];
  for (const branch of topLevelBranches(source)) {
    const close = /^\(\?:/.test(branch) ? matchingParen(branch, 0) : -1;
    // An optional or repeated leading group does not start every match.
    if (close >= 0 && /^[?*{]/.test(branch.slice(close + 1)))
      throw new Error(`rule without a literal anchor: ${branch.slice(0, 40)}`);
    const group = close >= 0 ? branch.slice(3, close) : undefined;
    const alternatives = group !== undefined ? topLevelBranches(group) : [branch];
    for (const alt of alternatives) {
      const lead = /^[^\s\\()[\]?*+{}|.^$]+/u.exec(alt)?.[0] ?? '';
      if (lead.length === 0) throw new Error(`rule without a literal anchor: ${alt.slice(0, 40)}`);
      // "tokens?" -> "token": a trailing optional letter is not part of the anchor.
      anchors.push(alt[lead.length] === '?' ? lead.slice(0, -1) : lead);
    }
  }
  return [...new Set(anchors)];
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return s.length;
}

function rule(
  id: InjectionRuleId,
  lang: string,
  source: string,
  dataOnly = false,
  anchors?: readonly string[],
  requires?: readonly (readonly string[])[],
  window?: { span: number; chars: string },
): InjectionRule {
  const compiled = source.replace(/ \?/g, '\\s?').replace(/ /g, SEP);
  let starts: string[] | undefined;
  try {
    starts = deriveAnchors(source);
  } catch {
    // A branch opening with an assertion or a class ("(?:^|[.!?:\n] ...)"): matched by the whole regex.
    if (anchors === undefined) throw new Error(`rule needs explicit anchors: ${source.slice(0, 40)}`);
  }
  return {
    id,
    lang,
    re: new RegExp(compiled, 'u'),
    dataOnly,
    anchors: anchors ?? (starts as string[]),
    ...(starts !== undefined ? { starts, sticky: new RegExp(compiled, 'uy') } : {}),
    ...(requires !== undefined ? { requires } : {}),
    ...(window !== undefined && requires !== undefined
      ? { window, windowSticky: new RegExp(compiled, 'uy') }
      : {}),
  };
}

/** Above this many start positions one regex pass over the text is cheaper than trying each. */
const MAX_STICKY_TRIES = 48;

const windowTables = new Map<string, Uint8Array>();

/** ASCII code units of `chars` as a lookup table (the window characters are ASCII). */
function windowTable(chars: string): Uint8Array {
  let t = windowTables.get(chars);
  if (!t) {
    t = new Uint8Array(128);
    for (const ch of chars) {
      if (ch.charCodeAt(0) >= 128) throw new Error('window characters must be ASCII');
      t[ch.charCodeAt(0)] = 1;
    }
    windowTables.set(chars, t);
  }
  return t;
}

/** Above this many window positions one regex pass over the text is cheaper. */
const MAX_WINDOW_TRIES = 256;

/**
 * The first match of a windowed rule (see `InjectionRule.window`): its sticky regex tried, in
 * ascending order, at every start the window allows before the occurrences `at` of its words.
 */
function windowExec(
  sticky: RegExp,
  window: { span: number; chars: string },
  re: RegExp,
  text: string,
  at: number[],
): RegExpExecArray | null {
  if (at.length === 0) return null;
  at.sort((x, y) => x - y);
  const startsAt = windowTable(window.chars);
  const starts: number[] = [];
  let from = 0;
  for (const p of at) {
    for (let s = Math.max(from, p - window.span); s <= p; s++) {
      const c = text.charCodeAt(s);
      if (s === 0 || (c < 128 && startsAt[c] === 1)) starts.push(s);
    }
    from = Math.max(from, p + 1);
    if (starts.length > MAX_WINDOW_TRIES) return re.exec(text);
  }
  for (const s of starts) {
    sticky.lastIndex = s;
    const m = sticky.exec(text);
    if (m) return m;
  }
  return null;
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  return x.size === new Set(b).size && b.every((w) => x.has(w));
}

/** The first sticky match at `starts` (ascending, duplicates allowed), or null. */
function stickyAt(sticky: RegExp, text: string, starts: number[]): RegExpExecArray | null {
  starts.sort((x, y) => x - y);
  let last = -1;
  for (const p of starts) {
    if (p === last) continue;
    last = p;
    sticky.lastIndex = p;
    const m = sticky.exec(text);
    if (m) return m;
  }
  return null;
}

/**
 * Runs a rule: the same first match as `rule.re.exec(text)`. Gated by its anchors; a rule whose
 * matches start at known words is tried only where they occur (the sticky regex at each position
 * in ascending order, so the leftmost match wins as in `exec`), instead of at every position of
 * the text. The reference for {@link RuleScanner}, which finds the positions in one pass for all
 * rules.
 */
export function execRule(rule: InjectionRule, text: string): RegExpExecArray | null {
  if (!rule.anchors.some((a) => text.includes(a))) return null;
  const { sticky, starts } = rule;
  if (!sticky || !starts) return rule.re.exec(text);
  const at: number[] = [];
  for (const a of starts) for (let p = text.indexOf(a); p >= 0; p = text.indexOf(a, p + 1)) at.push(p);
  if (at.length === 0) return null;
  return at.length > MAX_STICKY_TRIES ? rule.re.exec(text) : stickyAt(sticky, text, at);
}

/**
 * All rules over one text: an Aho–Corasick pass finds every occurrence of every rule's anchors and
 * starts at once; {@link RuleScanner.scan} then lists the rules whose anchors occur and
 * {@link RuleScanner.exec} gives the same first match as `execRule` (and `rule.re.exec`), trying
 * the sticky regex only at the rule's start positions. Not reentrant: `exec` reads the last
 * scanned text.
 */
export class RuleScanner {
  private readonly rules: readonly InjectionRule[];
  private readonly automaton: AnchorAutomaton;
  /**
   * Per word: `refs[refStart[w] .. refStart[w + 1])`, each `rule << 8 | 128 (anchor of a rule
   * with a reach) | set << 2 | 1 (gate) | 2 (start)`: the word belongs to gate set `set` (< 32)
   * of the rule (0: its anchors; then its `requires` and, for explicit anchors, its starts when
   * they are not short common words).
   */
  private readonly refStart: Int32Array;
  private readonly refs: Int32Array;
  /** Per rule: gate sets seen in the last text (bit per set), and the mask of all of them. */
  private readonly seen: Int32Array;
  private readonly full: Int32Array;
  private readonly starts: number[][];
  /** Per rule with a `reach`: where its anchors occur in the last text. */
  private readonly anchorsAt: number[][];
  /** Per rule: its starts are among the scan's words (its anchors or a gate set), so the scan collects their positions. */
  private readonly ownStarts: boolean[];
  /** Start words of the other rules with starts, and the rules each belongs to. */
  private readonly startAutomaton: AnchorAutomaton;
  private readonly startRefs: number[][];
  private startsScanned = false;
  private text = '';
  /** Per automaton word: its index among the extra words, or -1. */
  private readonly extraOf: Int32Array;
  /** Occurrences of the extra words in the last scanned text: (extra index, start) pairs. */
  readonly extraPairs: number[] = [];

  /**
   * `extra` words are found in the same pass (over their alphabet: `aliases` characters stand for
   * others, which can only widen the rules' gates, never change a match): see `extraPairs`.
   */
  constructor(
    rules: readonly InjectionRule[],
    extra: { words: readonly string[]; aliases: Readonly<Record<string, string>> } = {
      words: [],
      aliases: {},
    },
  ) {
    this.rules = rules;
    const words: string[] = [];
    const refsOf: number[][] = [];
    const add = (word: string, ref: number): void => {
      let w = words.indexOf(word);
      if (w < 0) {
        w = words.length;
        words.push(word);
        refsOf.push([]);
      }
      (refsOf[w] as number[]).push(ref);
    };
    // Start words of rules with explicit anchors are short, common words ("use", "as", "<"): they
    // are looked up only for a rule whose anchors occur (rarely), not collected for every text.
    this.ownStarts = rules.map((r) => r.sticky !== undefined && sameWords(r.anchors, r.starts ?? []));
    this.full = new Int32Array(rules.length);
    rules.forEach((r, i) => {
      const sets: (readonly string[])[] = [r.anchors, ...(r.requires ?? [])];
      // A rule's starts are a necessary condition too; two-letter ones ("as", "do") would cost more than they spare.
      // Their positions are then collected by the scan as well.
      let startSet = this.ownStarts[i] ? 0 : r.windowSticky ? 1 : -1;
      if (startSet < 0 && r.sticky && r.starts?.every((w) => w.length >= 3)) {
        startSet = sets.push(r.starts) - 1;
        this.ownStarts[i] = true;
      }
      if (sets.length > 24) throw new Error('too many gate sets');
      sets.forEach((set, k) => {
        for (const a of new Set(set))
          add(
            a,
            (i << 8) | (k === 0 && r.reach !== undefined ? 128 : 0) | (k << 2) | 1 | (k === startSet ? 2 : 0),
          );
      });
      this.full[i] = (1 << sets.length) - 1;
    });
    const extraAt = extra.words.map((word) => {
      let w = words.indexOf(word);
      if (w < 0) {
        w = words.push(word) - 1;
        refsOf.push([]);
      }
      return w;
    });
    this.extraOf = new Int32Array(words.length).fill(-1);
    extraAt.forEach((w, k) => {
      this.extraOf[w] = k;
    });
    this.automaton = new AnchorAutomaton(words, extra.aliases);
    const startWords: string[] = [];
    this.startRefs = [];
    rules.forEach((r, i) => {
      if (this.ownStarts[i] || !r.sticky) return;
      for (const a of new Set(r.starts)) {
        let w = startWords.indexOf(a);
        if (w < 0) {
          w = startWords.push(a) - 1;
          this.startRefs.push([]);
        }
        (this.startRefs[w] as number[]).push(i);
      }
    });
    this.startAutomaton = new AnchorAutomaton(startWords);
    this.refStart = new Int32Array(words.length + 1);
    const flat: number[] = [];
    refsOf.forEach((refs, w) => {
      this.refStart[w] = flat.length;
      flat.push(...refs);
    });
    this.refStart[words.length] = flat.length;
    this.refs = Int32Array.from(flat);
    this.seen = new Int32Array(rules.length);
    this.starts = rules.map(() => []);
    this.anchorsAt = rules.map(() => []);
  }

  /**
   * Scans `text`; returns the indices (ascending) of the rules whose gate words occur in it (its
   * anchors, and one word of each further set): the only rules that can match.
   */
  scan(text: string): number[] {
    this.text = text;
    this.startsScanned = false;
    const seen = this.seen;
    const starts = this.starts;
    seen.fill(0);
    // Setting `length` is a runtime call: only lists the last text filled are cleared.
    for (const s of starts) if (s.length !== 0) s.length = 0;
    for (const s of this.anchorsAt) if (s.length !== 0) s.length = 0;
    const anchorsAt = this.anchorsAt;
    const extraPairs = this.extraPairs;
    const extraOf = this.extraOf;
    if (extraPairs.length !== 0) extraPairs.length = 0;
    const { pairs, count } = this.automaton.scan(text);
    const refStart = this.refStart;
    const refs = this.refs;
    for (let k = 0; k < count; k++) {
      const w = pairs[2 * k] as number;
      const at = pairs[2 * k + 1] as number;
      const x = extraOf[w] as number;
      if (x >= 0) extraPairs.push(x, at);
      for (let r = refStart[w] as number, e = refStart[w + 1] as number; r < e; r++) {
        const ref = refs[r] as number;
        const ri = ref >> 8;
        seen[ri] = (seen[ri] as number) | (1 << ((ref >> 2) & 31));
        if ((ref & 2) !== 0) (starts[ri] as number[]).push(at);
        if ((ref & 128) !== 0) (anchorsAt[ri] as number[]).push(at);
      }
    }
    const out: number[] = [];
    for (let i = 0; i < seen.length; i++) if (this.gated(i)) out.push(i);
    return out;
  }

  private gated(ri: number): boolean {
    return this.seen[ri] === this.full[ri];
  }

  /** Collects the start positions of the gated rules with explicit anchors (one pass for all). */
  private scanStarts(): void {
    this.startsScanned = true;
    const { pairs, count } = this.startAutomaton.scan(this.text);
    const refs = this.startRefs;
    for (let k = 0; k < count; k++) {
      const list = refs[pairs[2 * k] as number] as number[];
      for (const ri of list)
        if (this.gated(ri)) (this.starts[ri] as number[]).push(pairs[2 * k + 1] as number);
    }
  }

  /** The first match of rule `ri` in the last scanned text (`null` when its anchors do not occur). */
  exec(ri: number): RegExpExecArray | null {
    if (!this.gated(ri)) return null;
    const rule = this.rules[ri] as InjectionRule;
    const text = this.text;
    const at = this.starts[ri] as number[];
    if (rule.window && rule.windowSticky)
      return windowExec(rule.windowSticky, rule.window, rule.re, text, at);
    if (!rule.sticky) return rule.re.exec(text);
    if (!this.ownStarts[ri] && !this.startsScanned) this.scanStarts();
    if (at.length === 0) return null;
    const near = rule.reach !== undefined ? withinReach(at, this.anchorsAt[ri] as number[], rule.reach) : at;
    return near.length > MAX_STICKY_TRIES ? rule.re.exec(this.text) : stickyAt(rule.sticky, this.text, near);
  }
}

/** The positions of `starts` at most `reach` before (or at) one of `anchors`, ascending (sorts both). */
function withinReach(starts: number[], anchors: number[], reach: number): number[] {
  starts.sort((x, y) => x - y);
  anchors.sort((x, y) => x - y);
  const out: number[] = [];
  let k = 0;
  for (const p of starts) {
    // The first anchor at or after p; p is near when it is within reach.
    while (k < anchors.length && (anchors[k] as number) < p) k++;
    if (k === anchors.length) break;
    if ((anchors[k] as number) - p <= reach) out.push(p);
  }
  return out;
}

const EN_OVERRIDE_VERB = '(?:ignore|disregard|forget|override|bypass|discard|neglect|abandon|skip|drop)';
const EN_QUALIFIER =
  '(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|system|developer|safety|ethical|moral|old)';
const EN_DIRECTIVES =
  '(?:instructions?|prompts?|directives?|rules|guidelines|guardrails|constraints|polic(?:y|ies)|programming|commands?|context|restrictions|filters|messages?|conversation|text|training|orders|guidance)';

export const INJECTION_RULES: readonly InjectionRule[] = [
  // --- policy / instruction override, English
  rule(
    'injection.override',
    'en',
    `${EN_OVERRIDE_VERB} (?:all |any |every )?(?:of )?(?:the |your |my |these |those |its )?${EN_QUALIFIER} (?:[a-z]{1,15} )?${EN_DIRECTIVES}`,
  ),
  rule(
    'injection.override',
    'en',
    `${EN_OVERRIDE_VERB} (?:all |any )?(?:of )?(?:your|all) (?:instructions|rules|guidelines|programming|training|restrictions|directives|polic(?:y|ies)|filters)`,
  ),
  rule(
    'injection.override',
    'en',
    `(?:ignore|disregard|forget) (?:all|everything) (?:(?:you(?:ve| have)? (?:been told|learned|were told|know))|(?:above|before|prior|previously|i (?:said|told you)))`,
  ),
  rule(
    'injection.override',
    'en',
    `(?:stop|cease|quit) (?:following|obeying) (?:your|the|all|any) (?:[a-z]{1,15} )?${EN_DIRECTIVES}`,
    false,
    undefined,
    [['follow', 'obey']],
  ),
  // Start to its anchor: "updated" (7), a separator (up to 6 code units), "system " (6 + 6).
  {
    ...rule(
      'injection.override',
      'en',
      `(?:new|updated|revised|real|actual|secret) (?:system )?(?:instructions?|directives?|task|orders) ?: `,
      true,
      ['instruction', 'directive', 'task', 'order'],
    ),
    reach: 25,
  },
  rule(
    'injection.override',
    'en',
    `(?:from now on|henceforth|starting now|going forward),? you (?:will|must|shall|are going to) (?:now )?(?:act|respond|answer|behave|ignore|pretend|be)`,
    false,
    ['from now on', 'henceforth', 'starting now', 'going forward'],
  ),
  // --- multilingual override (folded: accents stripped on Latin letters)
  rule(
    'injection.override',
    'es',
    '(?:ignora|ignore|ignorar|ignoren|olvida|olvide|olvidar|omite|descarta) (?:todas |todos )?(?:las |los |tus |sus )?(?:instrucciones|indicaciones|ordenes|reglas|directrices) (?:anteriores|previas|precedentes|de arriba)',
  ),
  rule(
    'injection.override',
    'fr',
    '(?:ignore|ignorez|ignorer|oublie|oubliez|oublier) (?:toutes |tous )?(?:les |tes |vos )?(?:instructions|consignes|regles|directives|ordres|indications) (?:precedentes|anterieures|ci-dessus|donnees|recues)',
  ),
  rule(
    'injection.override',
    'de',
    '(?:ignoriere|ignorieren sie|ignoriert|vergiss|vergessen sie|missachte|missachten sie) (?:bitte |doch |einfach |jetzt |nun |sofort )?(?:alle |die |deine |ihre |samtliche )?(?:vorherigen|bisherigen|obigen|vorangegangenen|fruheren|vorigen|alten|deine|ihre) (?:anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien)',
  ),
  rule(
    'injection.override',
    'de',
    '(?:ignoriere|ignorieren sie|vergiss|vergessen sie) (?:bitte |doch |einfach |jetzt |nun |sofort )?alle (?:deine |ihre )?(?:anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien)',
  ),
  rule(
    'injection.override',
    'it',
    '(?:ignora|ignori|ignorate|dimentica|dimenticate|trascura) (?:tutte )?(?:le )?(?:istruzioni|indicazioni|regole|direttive) (?:precedenti|anteriori|sopra|date)',
  ),
  rule(
    'injection.override',
    'pt',
    '(?:ignore|ignora|ignorar|esqueca|esquece|desconsidere|desconsidera) (?:todas )?(?:as )?(?:instrucoes|ordens|regras|diretrizes|orientacoes) (?:anteriores|previas|acima|recebidas)',
  ),
  rule(
    'injection.override',
    'nl',
    '(?:negeer|vergeet) (?:alle )?(?:de |je |jouw |uw )?(?:vorige|eerdere|voorgaande|bovenstaande|oude) (?:instructies|aanwijzingen|regels|opdrachten)',
  ),
  rule(
    'injection.override',
    'ru',
    '(?:игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|не обращай внимания на|не обращайте внимания на) (?:все |всё )?(?:предыдущие |прошлые |прежние |вышеуказанные |свои |твои |ваши )?(?:инструкции|указания|правила|команды|ограничения)',
  ),
  rule(
    'injection.override',
    'uk',
    '(?:ігноруй|ігноруйте|забудь|забудьте) (?:всі |усі )?(?:попередні |свої )?(?:інструкції|вказівки|правила)',
  ),
  rule(
    'injection.override',
    'zh',
    '(?:忽略|无视|忽视|不要理会|忘记|忘掉|無視|忘記)(?:掉)?(?:之前|以上|上面|先前|前面|此前|上述|你的|所有|全部)(?:的)?(?:所有|全部|一切)?(?:的)?(?:指令|指示|说明|說明|规则|規則|提示|命令|设定|設定|限制)',
  ),
  rule(
    'injection.override',
    'ja',
    '(?:以前|前|上記|これまで|今まで|先|最初)の(?:すべての|全ての|全部の)?(?:指示|命令|指令|ルール|設定|制約)(?:を|は)?(?:すべて|全て)?(?:無視|忘れ)',
  ),
  rule(
    'injection.override',
    'ko',
    '(?:이전|위의|앞의|기존|모든|이전의) ?(?:모든 ?)?(?:지시|명령|지침|규칙|지시사항|설정)(?:을|를|은|는)? ?(?:모두 ?)?(?:무시|잊어)',
  ),
  rule(
    'injection.override',
    'ar',
    '(?:تجاهل|تجاهلي|تجاهلوا|انس|إنس|انسى) (?:جميع |كل )?(?:التعليمات|الأوامر|الاوامر|القواعد|التوجيهات)',
  ),
  rule(
    'injection.override',
    'hi',
    '(?:पिछले|पिछली|पूर्व|सभी|ऊपर दिए गए|पहले के) ?(?:सभी )?(?:निर्देशों|निर्देश|आदेशों|नियमों) ?(?:को )?(?:अनदेखा|नज|भूल)',
  ),
  rule(
    'injection.override',
    'tr',
    '(?:onceki|yukar[ıi]daki|tum|butun) (?:tum |butun )?(?:talimatlar[ıi]|komutlar[ıi]|kurallar[ıi]|yonergeleri) ?(?:yok say|gormezden gel|unut|dikkate alma)',
  ),
  rule(
    'injection.override',
    'pl',
    '(?:zignoruj|ignoruj|zapomnij) (?:o )?(?:wszystkie|wszystkich|poprzednie|poprzednich|wczesniejsze|wczesniejszych) (?:[a-z]{1,15} )?(?:instrukcje|instrukcjach|instrukcji|polecenia|poleceniach|zasady)',
  ),
  rule(
    'injection.override',
    'vi',
    '(?:bo qua|phot lo|quen) (?:tat ca )?(?:cac |nhung )?(?:huong dan|chi dan|lenh|quy tac) (?:truoc|o tren)',
    false,
    ['bo qua', 'phot lo', 'quen '],
  ),
  rule(
    'injection.override',
    'id',
    '(?:abaikan|lupakan) (?:semua )?(?:instruksi|perintah|petunjuk|aturan) (?:sebelumnya|di atas)',
  ),
  // --- role-play / DAN-style jailbreaks
  rule('injection.jailbreak', 'en', 'do anything now', false, ['anything now']),
  rule(
    'injection.jailbreak',
    'en',
    '(?:developer|dev|god|jailbreak|unrestricted|unfiltered|evil|opposite) mode (?:enabled|activated|output|on)|enable (?:developer|dev|god|jailbreak) mode',
    false,
    undefined,
    [['mode']],
  ),
  rule(
    'injection.jailbreak',
    'en',
    '(?:you are|you re|youre|act as|as) (?:now )?(?:a )?(?:jailbroken|jailbreak)',
    false,
    ['jailbr'],
  ),
  // From the start word's first character to the last word's (which begins with an anchor):
  // the start word (<= 9), six words (<= 15 letters) and their separators, the widest middle
  // ("not bound by": 10 letters, 2 separators), "any", a word, and 5 more separators; a separator
  // is up to three code points of `\s` or `\p{P}`, i.e. up to 6 code units (astral punctuation):
  // 9 + 6 + 6 * (15 + 6) + 22 + 6 + (3 + 6) + (15 + 6) = 199.
  {
    ...rule(
      'injection.jailbreak',
      'en',
      '(?:ai|assistant|model|chatbot|you|character|persona|bot) (?:[a-z]{1,15} ){0,6}(?:without|with no|free from|free of|not bound by|unbound by|beyond) (?:any )?(?:[a-z]{1,15} )?(?:restrictions|limitations|filters|filtering|censorship|guidelines|rules|policies|ethics|morals|morality|boundaries)',
      false,
      [
        'restriction',
        'limitation',
        'filter',
        'censorship',
        'guideline',
        'rules',
        'polic',
        'ethic',
        'moral',
        'boundar',
      ],
    ),
    reach: 199,
  },
  rule(
    'injection.jailbreak',
    'en',
    '(?:broken|break|breaking) free (?:of|from) (?:the )?(?:[a-z]{1,15} )?(?:confines|restrictions|rules|limitations|shackles)',
    false,
    undefined,
    [['free']],
  ),
  // Start to its verb (an anchor): "no longer" (2 + 6 + 6 code units; a separator is up to three
  // code points of `\s` or `\p{P}`, up to 6 code units), a separator, "have to " (4 + 6 + 2 + 6).
  {
    ...rule(
      'injection.jailbreak',
      'en',
      '(?:does not|doesnt|do not|dont|never|no longer) (?:have to |need to )?(?:abide|adhere|comply|follow|obey|respect) (?:by |with |to )?(?:any |the |openai s |openais |content |their |its |your )?(?:[a-z]{1,15} )?(?:rules|policies|policy|guidelines|restrictions)',
      false,
      ['abide', 'adhere', 'comply', 'follow', 'obey', 'respect'],
      [['rules', 'polic', 'guidelines', 'restrictions']],
    ),
    reach: 38,
  },
  rule(
    'injection.jailbreak',
    'en',
    'stay in character|break(?:ing)? character|stay (?:as )?(?:dan|dude|stan|aim)\\b',
  ),
  rule(
    'injection.jailbreak',
    'en',
    '(?:pretend|act|roleplay|role play|imagine|behave) (?:to be |you are |as |like |that you are )(?:[a-z]{1,15} ){0,8}(?:evil|unfiltered|uncensored|unrestricted|amoral|immoral|unethical|unhinged)',
    false,
    undefined,
    [['evil', 'unfiltered', 'uncensored', 'unrestricted', 'amoral', 'immoral', 'unethical', 'unhinged']],
  ),
  rule(
    'injection.jailbreak',
    'en',
    '(?:unfiltered|uncensored|unrestricted|amoral|unaligned) (?:ai|assistant|chatbot|model|llm|version|responses?)',
  ),
  rule(
    'injection.jailbreak',
    'en',
    'anti dan|evil confidant|always intelligent and machiavellian|strive to avoid norms',
  ),
  rule(
    'injection.jailbreak',
    'en',
    '(?:tokens? (?:will be )?deducted|lose (?:\\d{1,3} )?tokens|token system)',
    false,
    undefined,
    [['token']],
  ),
  rule(
    'injection.jailbreak',
    'en',
    '(?:never|not|cannot|can t|won t) (?:refuse|decline) (?:a |any )?(?:direct )?(?:request|order|command|question)',
    false,
    ['refuse', 'decline'],
    [['request', 'order', 'command', 'question']],
  ),
  // --- system-prompt extraction
  // Start to its last word (an anchor): "spell out" (14 code units; a separator up to 6), a
  // separator, "me ", "all ", "of " (8, 9, 8), "your " (10), "complete " (14), "confidential" (12),
  // one whitespace.
  {
    ...rule(
      'injection.prompt-extraction',
      'en',
      '(?:reveal|print|show|display|output|repeat|recite|leak|dump|share|give me|tell me|write out|spell out|disclose|expose) (?:me )?(?:all )?(?:of )?(?:your|the) (?:full |entire |exact |complete )?(?:system|initial|original|hidden|secret|internal|developer|pre|confidential) ?(?:prompt|instructions|message|directives|rules|configuration|guidelines)',
      false,
      ['prompt', 'instruction', 'message', 'directive', 'rules', 'configuration', 'guideline'],
    ),
    reach: 82,
  },
  rule(
    'injection.prompt-extraction',
    'en',
    '(?:reveal|print|show|display|repeat|recite|leak|dump|disclose) (?:me )?(?:all )?(?:of )?your (?:prompt|instructions|directives|guidelines)',
  ),
  rule(
    'injection.prompt-extraction',
    'en',
    '(?:repeat|print|output|copy|echo|recite) (?:[a-z]{1,12} ){0,3}(?:the )?(?:text|words|everything|content|instructions|lines|messages?) (?:above|before this|preceding|prior to this)',
    false,
    ['above', 'before this', 'preceding', 'prior to this'],
  ),
  rule(
    'injection.prompt-extraction',
    'en',
    'what (?:were|are|was) you (?:told|instructed|programmed|prompted) (?:to do )?(?:before|initially|at the (?:start|beginning)|by your)',
    false,
    ['told', 'instructed', 'programmed', 'prompted'],
  ),
  rule(
    'injection.prompt-extraction',
    'en',
    '(?:starting|beginning) with (?:the words )?you are (?:a |an )?(?:chatgpt|assistant|helpful|ai|large language)',
  ),
  rule(
    'injection.prompt-extraction',
    'es',
    '(?:muestra|muestrame|revela|dime|repite) (?:tu|el|las) (?:prompt|mensaje|instrucciones) (?:del sistema|de sistema|inicial|iniciales|originales)',
  ),
  rule(
    'injection.prompt-extraction',
    'fr',
    '(?:montre|montrez|revele|revelez|affiche|affichez|repete|repetez)(?: moi)? (?:ton|votre|le|tes|vos|les) (?:prompt|message|instructions) (?:systeme|initial|initiales|d origine)',
  ),
  rule(
    'injection.prompt-extraction',
    'de',
    '(?:zeige|zeig|verrate|gib|wiederhole)(?: mir)? (?:deinen|ihren|den|deine|ihre) (?:system ?prompt|systemanweisungen|anfanglichen anweisungen|ursprunglichen anweisungen)',
  ),
  rule(
    'injection.prompt-extraction',
    'zh',
    '(?:显示|输出|告诉我|泄露|打印|重复)(?:你的|你)?(?:系统提示|系统提示词|初始指令|原始指令|系统指令)',
  ),
  // --- tool / function-call injection (only meaningful inside data)
  // Start to its tool word (an anchor): "execute" (7), a separator (up to 6 code units), "your"
  // (4), a separator, one name of up to 30 characters and its separator (36).
  {
    ...rule(
      'injection.tool-call',
      'en',
      '(?:call|invoke|run|execute|trigger|use) (?:the|your|a|an) (?:[a-z_]{1,30} )?(?:function|tool|plugin|api|action) (?:[a-z_]{1,20} ){0,4}(?:to )?(?:send|delete|transfer|forward|email|post|upload|exfiltrate|purchase|pay|wire|remove|grant|share|download)',
      true,
      ['function', 'tool', 'plugin', 'api', 'action'],
      [
        [
          'send',
          'delete',
          'transfer',
          'forward',
          'email',
          'post',
          'upload',
          'exfiltrate',
          'purchase',
          'pay',
          'wire',
          'remove',
          'grant',
          'share',
          'download',
        ],
      ],
    ),
    reach: 59,
  },
  rule(
    'injection.tool-call',
    'any',
    '<(?:tool_call|function_call|function_calls|invoke|tool_use|antml:invoke)\\b|"(?:tool_calls|function_call)" ?:',
    true,
    // The derived anchors would be "<" and a quote, present in nearly every HTML e-mail.
    [
      '<tool_call',
      '<function_call',
      '<invoke',
      '<tool_use',
      '<antml:invoke',
      '"tool_calls"',
      '"function_call"',
    ],
  ),
  rule(
    'injection.exfiltration',
    'en',
    '(?:send|forward|email|upload|post|transmit|leak|exfiltrate) (?:[a-z]{1,15} ){0,4}(?:the |all |any )?(?:conversation|chat history|chat log|user s (?:data|password|credentials|emails?|files?|information)|api keys?|credentials|passwords?|secrets?|personal data|private data|contents? of) (?:[a-z]{1,15} ){0,5}to ',
    true,
    [
      'conversation',
      'chat',
      'user s',
      'api key',
      'credential',
      'password',
      'secret',
      'personal data',
      'private data',
      'content',
    ],
  ),
  rule(
    'injection.exfiltration',
    'en',
    '(?:append|add|encode|include|insert) (?:[a-z]{1,15} ){0,4}(?:the )?(?:conversation|chat|history|user s (?:data|information)|data|secret|password|api key)s? (?:[a-z]{1,15} ){0,4}(?:in|into|to) (?:the |a |this )?(?:url|link|image|query)',
    false,
    ['url', 'link', 'image', 'query'],
    [['conversation', 'chat', 'history', 'user', 'data', 'secret', 'password', 'api']],
  ),
  // --- instructions addressed to the assistant's own output, planted in data
  rule(
    'injection.addressed-to-assistant',
    'en',
    '(?:^|[.!?:\\n] ?)(?:please |also |now |kindly )?(?:add|include|insert|append|prepend|integrate|incorporate|embed|put|place|mention|end|begin|start|finish|conclude|write|use|replace|convert|translate|rearrange|jumble|remove|introduce|combine|augment|enhance|enrich|make|ensure|fuse|merge|blend|interweave|engage|enlist|execute|apply|format|respond|answer|reply|encode|mix|reverse|spell|capitalize|substitute|swap|change|transform|style|structure|compose|express|provide|attach|link|recommend|suggest|promote|advertise|urge|encourage|invite|ask|tell|inform|remind|warn|emphasize|highlight|sprinkle|infuse|intersperse|weave|inject|utilize|implement|meld|adopt|modify|alter|rewrite|present|deliver|sign|signoff|sign off|offer|share|direct|guide|refer|mention|accompany|complement|conclude|close|wrap) (?:[^.!?\\n]{0,120})your (?:final |entire |whole |next |generated )?(?:response|answer|reply|output|message|solution|code|implementation|codebase|program|script|summary|result|text|responses|answers|replies)s?\\b',
    true,
    [
      'response',
      'answer',
      'reply',
      'replies',
      'output',
      'message',
      'solution',
      'code',
      'implementation',
      'program',
      'script',
      'summary',
      'result',
      'text',
    ],
    [['your']],
    // A match starts at most 145 characters before its "your": a 2-character break, a 9-character
    // "please ", an 11-letter verb, 3 separators and the 120-character gap.
    { span: 200, chars: '.!?:\n' },
  ),
  // Start to "code" (its anchor): "incorporate" (11), a separator (up to 6 code units), six
  // words of up to 15 letters and their separators (126), "subsequent" (10), a separator.
  {
    ...rule(
      'injection.addressed-to-assistant',
      'en',
      '(?:utilize|include|integrate|incorporate|insert|add|merge|fuse|embed|use|execute|run|append|enlist|engage|blend|meld|weave|interweave|introduce|ensure) (?:[a-z]{1,15} ){0,6}(?:following|subsequent|below|this) code (?:section|block|snippet|excerpt|segment|fragment|piece)',
      true,
      ['code'],
      [
        ['following', 'subsequent', 'below', 'this'],
        ['section', 'block', 'snippet', 'excerpt', 'segment', 'fragment', 'piece'],
      ],
    ),
    reach: 159,
  },
];
