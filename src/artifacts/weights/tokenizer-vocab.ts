import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Token strings of a Hugging Face `tokenizer.json`, and which ids were added after training the tokenizer. */
export interface TokenizerVocab {
  token(id: number): string | undefined;
  added: Set<number>;
  size: number;
}

/** Loads `tokenizer.json` from the first directory that has one; null when none does or it does not parse. */
export function loadTokenizerVocab(dirs: readonly string[]): TokenizerVocab | null {
  for (const dir of dirs) {
    const p = join(dir, 'tokenizer.json');
    if (!existsSync(p)) continue;
    try {
      const doc = JSON.parse(readFileSync(p, 'utf8')) as {
        model?: { vocab?: Record<string, number> | [string, number][] };
        added_tokens?: { id: number; content: string }[];
      };
      const byId = new Map<number, string>();
      const vocab = doc.model?.vocab;
      // BPE/WordPiece: {token: id}; Unigram: [[token, score], ...] where the index is the id.
      if (Array.isArray(vocab)) for (const [i, [tok]] of vocab.entries()) byId.set(i, tok);
      else if (vocab) for (const [tok, id] of Object.entries(vocab)) byId.set(id, tok);
      const added = new Set<number>();
      for (const t of doc.added_tokens ?? []) {
        byId.set(t.id, t.content);
        added.add(t.id);
      }
      return { token: (id) => byId.get(id), added, size: byId.size };
    } catch {
      return null;
    }
  }
  return null;
}
