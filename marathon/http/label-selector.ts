/**
 * Marathon's label selector (`GET /v2/apps?label=...`): a comma-separated list of terms, all of
 * which must hold: `key` (label present), `key==value`, `key!=value`, `key in (a, b)`,
 * `key notin (a, b)`. A backslash escapes the next character inside a key or value (so values
 * may hold `,`, `(`, `)` or spaces). Parsing is pure; a bad selector is a value, not a throw.
 *
 * Invariants: `matches` of an empty term list is true; `!=` and `notin` hold for a label that is
 * absent (as in Marathon).
 */

export type LabelTerm =
  | { readonly kind: 'exists'; readonly key: string }
  | { readonly kind: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly kind: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] };

export type LabelSelectorResult = { readonly ok: true; readonly terms: readonly LabelTerm[] } | { readonly ok: false; readonly message: string };

const WORD = /[A-Za-z0-9_.\-\\]/;

export function parseLabelSelector(input: string): LabelSelectorResult {
  let pos = 0;
  const bad = (why: string): LabelSelectorResult => ({ ok: false, message: `Invalid label selector '${input}': ${why} at position ${pos}` });
  const skipSpaces = () => { while (input[pos] === ' ') pos++; };
  const word = (): string | undefined => {
    let out = '';
    while (pos < input.length) {
      const c = input[pos];
      if (c === '\\' && pos + 1 < input.length) { out += input[pos + 1]; pos += 2; continue; }
      if (!WORD.test(c)) break;
      out += c;
      pos++;
    }
    return out === '' ? undefined : out;
  };
  const terms: LabelTerm[] = [];
  skipSpaces();
  if (pos >= input.length) return bad('empty selector');
  while (pos < input.length) {
    skipSpaces();
    const key = word();
    if (key === undefined) return bad('expected a label name');
    skipSpaces();
    if (input.startsWith('==', pos) || input.startsWith('!=', pos)) {
      const kind = input[pos] === '=' ? 'eq' : 'neq';
      pos += 2;
      skipSpaces();
      const value = word();
      if (value === undefined) return bad('expected a value');
      terms.push({ kind, key, value });
    } else if (/^(in|notin)\s*\(/.test(input.slice(pos))) {
      const kind = input.startsWith('notin', pos) ? 'notin' : 'in';
      pos += kind.length;
      skipSpaces();
      pos++; // '('
      const values: string[] = [];
      for (;;) {
        skipSpaces();
        const v = word();
        if (v === undefined) return bad('expected a value');
        values.push(v);
        skipSpaces();
        if (input[pos] === ',') { pos++; continue; }
        if (input[pos] === ')') { pos++; break; }
        return bad("expected ',' or ')'");
      }
      terms.push({ kind, key, values });
    } else {
      terms.push({ kind: 'exists', key });
    }
    skipSpaces();
    if (pos >= input.length) break;
    if (input[pos] !== ',') return bad("expected ','");
    pos++;
    skipSpaces();
    if (pos >= input.length) return bad('expected a term after the comma');
  }
  return { ok: true, terms };
}

export function matchesLabels(terms: readonly LabelTerm[], labels: Readonly<Record<string, string>>): boolean {
  return terms.every((t) => {
    const has = Object.prototype.hasOwnProperty.call(labels, t.key);
    const v = labels[t.key];
    switch (t.kind) {
      case 'exists': return has;
      case 'eq': return has && v === t.value;
      case 'neq': return !has || v !== t.value;
      case 'in': return has && t.values.includes(v);
      case 'notin': return !has || !t.values.includes(v);
    }
  });
}
