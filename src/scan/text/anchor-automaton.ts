/**
 * Aho–Corasick automaton over a fixed set of literal words, compiled to a
 * dense DFA over UTF-16 code units: one table lookup per code unit reports
 * every occurrence of every word (overlapping and nested ones included), in
 * one pass over the text. The injection rules gate on hundreds of anchor
 * words; a regex alternation of them, or one `indexOf` per word, cost several
 * passes over every e-mail.
 */
export class AnchorAutomaton {
  /** The words, as given (duplicates keep their first index). */
  readonly words: readonly string[];
  /** Code unit -> symbol class (0: no word uses the character). */
  private readonly classOf: Uint16Array;
  private readonly classes: number;
  /**
   * DFA: `next[row + class]` is the next state's row offset (`state * classes`), bitwise-negated
   * when that state has outputs.
   */
  private readonly next: Int32Array;
  /** Outputs of a state (its own word and those of its suffix links): `outWords[outStart[s] .. outStart[s + 1])`. */
  private readonly outStart: Int32Array;
  private readonly outWords: Int32Array;
  private readonly lengths: Int32Array;
  private buf = new Int32Array(256);

  /**
   * `aliases` maps extra characters to a word character they should match as (the leet
   * spellings of letters, say); a text character then matches itself or what it aliases.
   */
  constructor(words: readonly string[], aliases: Readonly<Record<string, string>> = {}) {
    if (words.some((w) => w.length === 0)) throw new Error('AnchorAutomaton: empty word');
    this.words = words;
    this.lengths = Int32Array.from(words, (w) => w.length);
    this.classOf = new Uint16Array(65536);
    // ASCII symbols first, so scanning ASCII text touches only the front of each DFA row.
    const seen = new Set<number>();
    for (const w of words) for (let i = 0; i < w.length; i++) seen.add(w.charCodeAt(i));
    const units = [...seen].sort((a, b) => a - b);
    let classes = 1;
    for (const c of units) this.classOf[c] = classes++;
    for (const [from, to] of Object.entries(aliases))
      this.classOf[from.charCodeAt(0)] = this.classOf[to.charCodeAt(0)] as number;
    this.classes = classes;
    // Trie.
    const goto: number[][] = [new Array<number>(classes).fill(-1)];
    const own: number[][] = [[]];
    words.forEach((w, wi) => {
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        const k = this.classOf[w.charCodeAt(i)] as number;
        const row = goto[s] as number[];
        if ((row[k] as number) < 0) {
          row[k] = goto.length;
          goto.push(new Array<number>(classes).fill(-1));
          own.push([]);
        }
        s = row[k] as number;
      }
      const o = own[s] as number[];
      if (!words.slice(0, wi).includes(w)) o.push(wi);
    });
    // Breadth-first failure links, completing the DFA as we go.
    const states = goto.length;
    const fail = new Int32Array(states);
    const next = new Int32Array(states * classes);
    const outs: number[][] = own.map((o) => [...o]);
    const queue: number[] = [];
    for (let k = 0; k < classes; k++) {
      const t = (goto[0] as number[])[k] as number;
      next[k] = t < 0 ? 0 : t;
      if (t > 0) {
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi] as number;
      outs[s] = [...(own[s] as number[]), ...(outs[fail[s] as number] as number[])];
      for (let k = 0; k < classes; k++) {
        const t = (goto[s] as number[])[k] as number;
        if (t < 0) next[s * classes + k] = next[(fail[s] as number) * classes + k] as number;
        else {
          next[s * classes + k] = t;
          fail[t] = next[(fail[s] as number) * classes + k] as number;
          queue.push(t);
        }
      }
    }
    const hasOut = (t: number): boolean => (outs[t] as number[]).length > 0;
    this.next = next.map((t) => (hasOut(t) ? ~(t * classes) : t * classes));
    this.outStart = new Int32Array(states + 1);
    const flat: number[] = [];
    for (let s = 0; s < states; s++) {
      this.outStart[s] = flat.length;
      flat.push(...(outs[s] as number[]));
    }
    this.outStart[states] = flat.length;
    this.outWords = Int32Array.from(flat);
  }

  /**
   * Every occurrence of every word in `text`, as (word index, start offset) pairs in order of
   * their end offset. The returned array is reused by the next call; read the first `2 * count`
   * entries.
   */
  scan(text: string): { pairs: Int32Array; count: number } {
    const classOf = this.classOf;
    const next = this.next;
    const classes = this.classes;
    const outStart = this.outStart;
    const outWords = this.outWords;
    const lengths = this.lengths;
    let buf = this.buf;
    let k = 0;
    let row = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const v = next[row + (classOf[text.charCodeAt(i)] as number)] as number;
      if (v >= 0) {
        row = v;
        continue;
      }
      row = ~v;
      const s = row / classes;
      const a = outStart[s] as number;
      const b = outStart[s + 1] as number;
      if (k + 2 * (b - a) > buf.length) {
        const grown = new Int32Array(Math.max(buf.length * 2, k + 2 * (b - a)));
        grown.set(buf);
        buf = grown;
        this.buf = grown;
      }
      for (let o = a; o < b; o++) {
        const w = outWords[o] as number;
        buf[k++] = w;
        buf[k++] = i + 1 - (lengths[w] as number);
      }
    }
    return { pairs: buf, count: k >> 1 };
  }
}
