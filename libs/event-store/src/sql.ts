/** A statement with its parameters, numbered `$1..$n` in `text`. */
export interface Sql {
  text: string;
  values: unknown[];
}

/** `sql\`SELECT ... WHERE id = ${id}\``: every interpolation becomes a parameter, never text. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0]!;
  for (let i = 0; i < values.length; i++) text += `$${i + 1}${strings[i + 1]}`;
  return { text, values };
}

/** Trusted text (a table name from configuration, never input) as a statement part. */
export const raw = (text: string): Sql => ({ text, values: [] });

/**
 * Statements joined into one, parameters renumbered: `join(parts, (texts) => ...)` lets a caller
 * nest statements as CTEs or subqueries of one round trip.
 */
export function join(parts: readonly Sql[], combine: (texts: string[]) => string): Sql {
  const values: unknown[] = [];
  const texts = parts.map((part) => {
    const offset = values.length;
    values.push(...part.values);
    return part.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  });
  return { text: combine(texts), values };
}

/**
 * The statement with its parameters written in as literals, for a multi-statement query (the
 * simple protocol takes no parameters). Strings go through pg's `escapeLiteral`; only plain
 * values are accepted.
 */
export function inline(statement: Sql, escapeLiteral: (value: string) => string): string {
  return statement.text.replace(/\$(\d+)/g, (_, n: string) => {
    const value = statement.values[Number(n) - 1];
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    if (typeof value === 'string') return escapeLiteral(value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      return `ARRAY[${value.map(escapeLiteral).join(', ')}]::text[]`;
    }
    throw new TypeError(`cannot write a ${typeof value} parameter into a statement`);
  });
}
