/**
 * Where a validation error's `path` lies in the JSON text the user typed, so the editor can show
 * the error at the field. Paths are Marathon's and Metronome's 422 `details[].path`: `/` the whole
 * document, `/cpus`, `/container/docker/image`, array items as `(i)` or `/i`
 * (`/portDefinitions(0)/port`, `/run/artifacts/0/uri`).
 *
 * The text is scanned once (a small JSON reader that records where each value and its key start and
 * end); a path that is not in the text (a missing field) falls back to its nearest ancestor that
 * is, so "`cmd` is missing" points at the object that lacks it. Text that is not JSON locates
 * nothing. Pure: no DOM. Used by json-editor.ts; unit-tested in json-locate.test.ts.
 */

export interface Span {
  /** Offsets in the text: the key (or the value, for array items and the root) to the value's end. */
  readonly start: number;
  readonly end: number;
  /** 1-based line of `start`. */
  readonly line: number;
  /** Whether the path itself was found (false: an ancestor stands in for it). */
  readonly exact: boolean;
}

/** `/a(0)/b/1` -> ['a', '0', 'b', '1']. */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '') continue;
    const m = /^(.*?)((?:\(\d+\))+)$/.exec(part);
    if (m === null) {
      out.push(part);
      continue;
    }
    if (m[1] !== '') out.push(m[1]);
    for (const idx of m[2].matchAll(/\((\d+)\)/g)) out.push(idx[1]);
  }
  return out;
}

/** Every value's span by its segment path joined with `/` (root: ''); undefined when not JSON. */
export function indexJson(text: string): Map<string, { start: number; end: number }> | undefined {
  const spans = new Map<string, { start: number; end: number }>();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`unexpected input at ${i}`);
  };
  const string = (): void => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
  };
  const value = (path: string, keyStart: number | undefined): void => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          const ks = i;
          string();
          const key = JSON.parse(text.slice(ks, i)) as string;
          ws();
          if (text[i] !== ':') fail();
          i++;
          value(path === '' ? key : `${path}/${key}`, ks);
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === '}') { i++; break; }
          fail();
        }
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') i++;
      else {
        for (let n = 0; ; n++) {
          value(path === '' ? String(n) : `${path}/${n}`, undefined);
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === ']') { i++; break; }
          fail();
        }
      }
    } else if (c === '"') string();
    else {
      const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
      if (m === null) fail();
      i += m![0].length;
    }
    spans.set(path, { start: keyStart ?? start, end: i });
  };
  try {
    value('', undefined);
    ws();
    if (i !== text.length) fail();
  } catch {
    return undefined;
  }
  return spans;
}

export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** The span of `path` in `text` (or of its nearest present ancestor); undefined when the text is not JSON. */
export function locatePath(text: string, path: string): Span | undefined {
  const spans = indexJson(text);
  if (spans === undefined) return undefined;
  const segs = pathSegments(path);
  for (let n = segs.length; n >= 0; n--) {
    const s = spans.get(segs.slice(0, n).join('/'));
    if (s !== undefined) return { start: s.start, end: s.end, line: lineOf(text, s.start), exact: n === segs.length };
  }
  return undefined;
}
