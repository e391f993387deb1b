import { describe, expect, it } from 'vitest';
import { toSqlitePlaceholders } from './sql-placeholders.js';

describe('toSqlitePlaceholders', () => {
  it('rewrites $n outside literals, identifiers and comments', () => {
    expect(toSqlitePlaceholders('SELECT * FROM t WHERE a = $1 AND b IN ($2, $10)')).toBe(
      'SELECT * FROM t WHERE a = ?1 AND b IN (?2, ?10)',
    );
    expect(toSqlitePlaceholders(`SELECT '$1', 'it''s $2', "col$3" FROM t WHERE x = $4`)).toBe(
      `SELECT '$1', 'it''s $2', "col$3" FROM t WHERE x = ?4`,
    );
    expect(toSqlitePlaceholders('SELECT $1 -- $2\n, /* $3 */ $4')).toBe('SELECT ?1 -- $2\n, /* $3 */ ?4');
    expect(toSqlitePlaceholders('SELECT price$ FROM t WHERE a = $')).toBe('SELECT price$ FROM t WHERE a = $');
  });
});
