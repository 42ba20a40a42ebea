/**
 * `--attributes` in Mesos' text form: `name:value;name:value`. As Mesos parses them, a value is
 * a SCALAR when it is a number, RANGES when written `[a-b,c-d]`, a SET when written `{a,b}`, and
 * TEXT otherwise. A JSON list of mesos.v1.Attribute is accepted too. Pure; errors are values.
 */
import type { mesos } from '../proto/types.generated.ts';

export type AttributesOutcome = { readonly ok: true; readonly attributes: mesos.v1.Attribute[] } | { readonly ok: false; readonly message: string };

function parseValue(name: string, text: string): mesos.v1.Attribute | string {
  const v = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(v)) return { name, type: 'SCALAR', scalar: { value: Number(v) } };
  if (v.startsWith('[')) {
    const m = /^\[(.*)\]$/.exec(v);
    if (!m) return `attribute '${name}': unterminated range '${v}'`;
    const range: mesos.v1.Value.Range[] = [];
    for (const part of m[1].split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const r = /^(\d+)-(\d+)$/.exec(part);
      if (!r || Number(r[1]) > Number(r[2])) return `attribute '${name}': bad range '${part}'`;
      range.push({ begin: Number(r[1]), end: Number(r[2]) });
    }
    return { name, type: 'RANGES', ranges: { range } };
  }
  if (v.startsWith('{')) {
    const m = /^\{(.*)\}$/.exec(v);
    if (!m) return `attribute '${name}': unterminated set '${v}'`;
    return { name, type: 'SET', set: { item: m[1].split(',').map((s) => s.trim()).filter((s) => s !== '') } };
  }
  return { name, type: 'TEXT', text: { value: v } };
}

export function parseAttributes(text: string | undefined): AttributesOutcome {
  if (text === undefined || text.trim() === '') return { ok: true, attributes: [] };
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return { ok: true, attributes: JSON.parse(t) as mesos.v1.Attribute[] };
    } catch (e) {
      return { ok: false, message: `--attributes: invalid JSON: ${(e as Error).message}` };
    }
  }
  const attributes: mesos.v1.Attribute[] = [];
  for (const part of t.split(';').filter((s) => s.trim() !== '')) {
    const colon = part.indexOf(':');
    if (colon <= 0) return { ok: false, message: `--attributes: expected name:value, got '${part}'` };
    const a = parseValue(part.slice(0, colon).trim(), part.slice(colon + 1));
    if (typeof a === 'string') return { ok: false, message: `--attributes: ${a}` };
    attributes.push(a);
  }
  return { ok: true, attributes };
}
