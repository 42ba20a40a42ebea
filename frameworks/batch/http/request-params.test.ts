import test from 'ava';
import fc from 'fast-check';
import { EMBED_NAMES } from './errors.ts';
import { parseBooleanParam, parseEmbeds, parseJsonBody, requestPath } from './request-params.ts';

// embed query as Fastify hands it over -> the set, or undefined (400)
const embedRows: [unknown, string[] | undefined][] = [
  [undefined, []],
  ['activeRuns', ['activeRuns']],
  ['activeRuns,history', ['activeRuns', 'history']],
  [['schedules', 'historySummary,history'], ['schedules', 'historySummary', 'history']],
  ['history,', ['history']],
  ['', []],
  ['ActiveRuns', undefined],
  [['schedules', 'tasks'], undefined],
];
for (const [raw, expected] of embedRows) {
  test(`parseEmbeds(${JSON.stringify(raw)}) -> ${JSON.stringify(expected)}`, (t) => {
    const got = parseEmbeds(raw);
    t.deepEqual(got === undefined ? undefined : [...got].sort(), expected?.sort());
  });
}

test('parseEmbeds: any split of known names into repeated and comma-joined values gives exactly those names', (t) => {
  const name = fc.constantFrom(...EMBED_NAMES);
  fc.assert(fc.property(fc.array(fc.array(name, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (groups) => {
    const got = parseEmbeds(groups.map((g) => g.join(',')));
    return got !== undefined && [...got].sort().join() === [...new Set(groups.flat())].sort().join();
  }));
  t.pass();
});

test('parseEmbeds: one unknown name anywhere refuses the whole query', (t) => {
  const known = fc.constantFrom<string>(...EMBED_NAMES);
  const unknown = fc.string({ minLength: 1 }).filter((s) => !s.includes(',') && !(EMBED_NAMES as readonly string[]).includes(s));
  fc.assert(fc.property(fc.array(known), unknown, fc.nat(), (names, bad, at) => {
    const all = [...names];
    all.splice(at % (names.length + 1), 0, bad);
    return parseEmbeds(all.join(',')) === undefined && parseEmbeds(all) === undefined;
  }));
  t.pass();
});

// raw flag -> value (fallback false); undefined = 400
const boolRows: [unknown, boolean | undefined][] = [
  [undefined, false], ['true', true], ['false', false], ['1', true], ['0', false], [' true ', true],
  ['TRUE', undefined], ['yes', undefined], ['', undefined], [['true', 'false'], true],
];
for (const [raw, expected] of boolRows) {
  test(`parseBooleanParam(${JSON.stringify(raw)}) -> ${expected}`, (t) => {
    t.is(parseBooleanParam(raw, false), expected);
  });
}

test('parseJsonBody: JSON values are read, empty or broken bodies are refused with a reason', (t) => {
  t.deepEqual(parseJsonBody('{"a":[1,null]}'), { ok: true, value: { a: [1, null] } });
  t.deepEqual(parseJsonBody('0'), { ok: true, value: 0 });
  t.deepEqual(parseJsonBody(undefined), { ok: false, detail: 'No content to map due to end-of-input' });
  t.deepEqual(parseJsonBody('  '), { ok: false, detail: 'No content to map due to end-of-input' });
  const broken = parseJsonBody('{"a":');
  t.false(broken.ok);
  t.true(!broken.ok && broken.detail.length > 0);
});

test('requestPath drops the query', (t) => {
  t.is(requestPath('/v1/jobs?embed=history'), '/v1/jobs');
  t.is(requestPath('/v1/jobs'), '/v1/jobs');
});
