/**
 * The JSON editor of every UI: a textarea with a line-number gutter that shows a server's
 * validation errors at the field. Each error's path (field-errors.ts reads Marathon's and
 * Metronome's 422 `details[]` and maestro's `{message, field}`) is found in the typed text
 * (json-locate.ts: `/portDefinitions(0)/port`, `/run/artifacts/0/uri`; a missing field falls back
 * to the object that lacks it): the gutter marks that line, the message sits beside it, and the
 * list under the editor names path and line (clicking selects the field's text). A JSON syntax
 * error is marked the same way before anything is sent. Typing clears the marks (they described
 * the old text). Styles: `.json-frame` ... in ui.css.
 *
 * The page keeps its own form and buttons (create, save, force, cancel):
 *
 *   const json = editor.parse();              // a syntax error is marked; nothing to send
 *   if (!json.ok) return;
 *   const a = await fetchJson('POST', '/v2/apps', editor.text());
 *   const refused = editor.showAnswer(a);     // 2xx: undefined; else the fields marked + a banner
 */
import { isOk, refusal, type Answer, type Json } from './api.ts';
import { h, replaceChildren } from './dom.ts';
import { fieldErrors, type FieldError } from './field-errors.ts';
import { lineOf, locatePath } from './json-locate.ts';

/** Line height and top padding of the text, in px (ui.css: `textarea.json-input`, 18px lines, 6px padding). */
const LINE_PX = 18;
const PAD_PX = 6;

export interface JsonEditorOptions {
  /** The textarea's name; its label is `<name> JSON`. */
  readonly name: string;
  readonly text?: string;
}

export interface JsonEditor {
  readonly el: HTMLElement;
  text(): string;
  /** New text; the marks go. */
  setText(text: string): void;
  /** The text as JSON, or a syntax error marked at its line (and listed) and `ok: false`. */
  parse(): { readonly ok: true; readonly value: Json } | { readonly ok: false };
  /** Shows errors at their fields (messages of one path together); an empty list clears them. */
  showErrors(errors: readonly FieldError[]): void;
  /**
   * A server's answer to the text: 2xx clears the marks and answers undefined; a refusal that
   * names fields (`details[]`, `field`) marks them and answers a banner "<message>: see the marked
   * fields."; any other refusal clears the marks and answers a banner with its message. The
   * banner is a `p.error` with `data-refusal="<status>"`.
   */
  showAnswer(answer: Answer): HTMLElement | undefined;
}

export function createJsonEditor(options: JsonEditorOptions): JsonEditor {
  const { name } = options;
  const area = h('textarea.json-input', { name, spellcheck: 'false', autocomplete: 'off', 'aria-label': `${name} JSON`, rows: '24' }) as HTMLTextAreaElement;
  area.value = options.text ?? '';
  const gutter = h('div.json-gutter', { 'aria-hidden': 'true' });
  const notes = h('div.json-notes', { 'aria-live': 'polite' });
  const list = h('ul.field-errors', { 'data-field-errors': '' });
  /** Messages by 1-based line. */
  const marks = new Map<number, string[]>();

  const syncScroll = () => {
    gutter.scrollTop = area.scrollTop;
    notes.style.transform = `translateY(${-area.scrollTop}px)`;
  };
  const draw = () => {
    const lines = area.value.split('\n');
    const rows: HTMLElement[] = [];
    const inline: HTMLElement[] = [];
    for (let n = 1; n <= lines.length; n++) {
      const msgs = marks.get(n);
      if (msgs === undefined) {
        rows.push(h('div.gl', null, String(n)));
        continue;
      }
      rows.push(h('div.gl.marked', { title: msgs.join('\n'), 'data-error-line': String(n) }, String(n)));
      // The message sits on the field's own line, at the right edge of the text.
      const width = lines[n - 1].replace(/\t/g, '  ').length;
      inline.push(h('div.json-note', { 'data-note-line': String(n), style: `top:${(n - 1) * LINE_PX + PAD_PX}px;left:calc(${width + 2}ch + 8px)` }, `◀ ${msgs.join('; ')}`));
    }
    replaceChildren(gutter, ...rows);
    replaceChildren(notes, ...inline);
    syncScroll();
  };
  const clear = () => {
    marks.clear();
    replaceChildren(list);
    area.classList.remove('invalid');
  };
  area.addEventListener('scroll', syncScroll);
  area.addEventListener('input', () => {
    if (marks.size > 0 || list.childElementCount > 0) clear();
    draw();
  });
  draw();

  const select = (start: number, end: number) => {
    area.focus();
    area.setSelectionRange(start, end);
  };

  const showErrors = (errors: readonly FieldError[]) => {
    clear();
    const byPath = new Map<string, string[]>();
    for (const e of errors) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e.message]);
    const text = area.value;
    const items = [...byPath].map(([path, messages]) => {
      const span = locatePath(text, path);
      const message = messages.join(', ');
      if (span !== undefined) marks.set(span.line, [...(marks.get(span.line) ?? []), `${path === '' ? '' : `${path}: `}${message}`]);
      return h('li.field-error', { 'data-field-error': path, ...(span ? { 'data-line': String(span.line) } : {}) },
        h('button.link', { type: 'button', onclick: () => span && select(span.start, span.end) },
          h('code', null, path === '' ? '/' : path), span ? ` (line ${span.line}${span.exact ? '' : ', missing here'})` : ''),
        ` ${message}`);
    });
    replaceChildren(list, ...items);
    area.classList.toggle('invalid', items.length > 0);
    draw();
  };

  const showSyntaxError = (message: string, offset: number | undefined) => {
    clear();
    const line = offset === undefined ? undefined : lineOf(area.value, offset);
    if (line !== undefined) marks.set(line, [message]);
    replaceChildren(list, h('li.field-error', { 'data-field-error': '', ...(line ? { 'data-line': String(line) } : {}) }, `Not JSON: ${message}`));
    area.classList.add('invalid');
    draw();
  };

  return {
    el: h('div.json-editor', null, h('div.json-frame', null, gutter, area, h('div.json-notes-clip', null, notes)), list),
    text: () => area.value,
    setText(text) {
      area.value = text;
      clear();
      draw();
    },
    parse() {
      try {
        return { ok: true, value: JSON.parse(area.value) as Json };
      } catch (e) {
        showSyntaxError((e as Error).message, syntaxErrorOffset(e));
        return { ok: false };
      }
    },
    showErrors,
    showAnswer(answer) {
      if (isOk(answer)) {
        showErrors([]);
        return undefined;
      }
      const body = answer.body;
      const namesFields = (Array.isArray(body?.details) && body.details.length > 0) || typeof body?.field === 'string';
      showErrors(namesFields ? fieldErrors(body) : []);
      const text = namesFields ? `${typeof body?.message === 'string' ? body.message : 'Invalid'}: see the marked fields.` : refusal(answer);
      return h('p.error', { 'data-refusal': String(answer.status) }, text);
    },
  };
}

/** The offset a JSON.parse SyntaxError names (V8: "... at position 12 ..."), if any. */
export function syntaxErrorOffset(e: unknown): number | undefined {
  const m = /position (\d+)/.exec(String((e as Error)?.message ?? ''));
  return m === null ? undefined : Number(m[1]);
}
