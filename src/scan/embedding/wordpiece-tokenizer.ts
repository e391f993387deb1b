/**
 * BERT WordPiece tokenizer (lower-casing, accent stripping, punctuation split,
 * greedy longest-match-first sub-words) from a `vocab.txt`, enough to feed
 * sentence-embedding ONNX exports such as all-MiniLM-L6-v2 without pulling in
 * a tokenizer library.
 */
export class WordPieceTokenizer {
  private readonly vocab: Map<string, number>;
  readonly cls: number;
  readonly sep: number;
  readonly unk: number;

  constructor(vocabText: string) {
    this.vocab = new Map(
      vocabText
        .split(/\r?\n/)
        .filter((l) => l.length > 0)
        .map((t, i) => [t, i]),
    );
    this.cls = this.vocab.get('[CLS]') ?? 101;
    this.sep = this.vocab.get('[SEP]') ?? 102;
    this.unk = this.vocab.get('[UNK]') ?? 100;
  }

  /** Token ids with [CLS] ... [SEP], truncated to `maxLength`. */
  encode(text: string, maxLength = 256): number[] {
    const ids = [this.cls];
    const words =
      text
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
        .match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
    for (const word of words) {
      if (ids.length >= maxLength - 1) break;
      let start = 0;
      const pieces: number[] = [];
      while (start < word.length) {
        let end = word.length;
        let id: number | undefined;
        while (start < end) {
          const sub = (start > 0 ? '##' : '') + word.slice(start, end);
          id = this.vocab.get(sub);
          if (id !== undefined) break;
          end--;
        }
        if (id === undefined) {
          pieces.length = 0;
          pieces.push(this.unk);
          break;
        }
        pieces.push(id);
        start = end;
      }
      ids.push(...pieces.slice(0, maxLength - 1 - ids.length));
    }
    ids.push(this.sep);
    return ids;
  }
}
