// Pure logic of the UI kit: formatting, hash routes, paging and virtual-scroll windows, field
// errors of Marathon/Metronome answers, server-side paging.
import test from 'ava';
import { formatAge, formatBytes, formatCount, formatDuration, formatMb, formatPercent, formatResources } from './web/format.ts';
import { hashFor, matchRoute, parseHash } from './web/route-match.ts';
import { offsetOfPage, pageInfo, virtualWindow } from './web/table-window.ts';
import { fieldErrors, normalizePath } from './web/field-errors.ts';
import { matchesFilter, parsePageParams, takePage } from './paging.ts';

test('format: sizes, durations, ages, resources, counts', (t) => {
  t.is(formatMb(512), '512 MiB');
  t.is(formatMb(1536), '1.5 GiB');
  t.is(formatMb(3 * 1024 * 1024), '3 TiB');
  t.is(formatBytes(812), '812 B');
  t.is(formatBytes(1264), '1.23 KiB');
  t.is(formatDuration(450), '450ms');
  t.is(formatDuration(12_400), '12s');
  t.is(formatDuration(184_000), '3m 4s');
  t.is(formatDuration(2 * 3600_000 + 5 * 60_000), '2h 5m');
  t.is(formatDuration(76 * 3600_000), '3d 4h');
  t.is(formatAge(undefined, 5), '—');
  t.is(formatAge(1000, 4000), '3s');
  t.is(formatResources({ mem: 1024, cpus: 1.5, disk: 0, gpus: 0 }), 'cpus 1.5 · mem 1 GiB');
  t.is(formatResources({ ports: 2, cpus: 0.25 }), 'cpus 0.25 · ports 2');
  t.is(formatResources({}), '—');
  t.is(formatCount(100000), '100,000');
  t.is(formatPercent(0.1234), '12.3%');
});

test('route-match: hashes, patterns, encoded parameters', (t) => {
  t.deepEqual(parseHash('#/tasks?filter=web&x=1'), { path: '/tasks', query: { filter: 'web', x: '1' } });
  t.deepEqual(parseHash(''), { path: '/', query: {} });
  t.deepEqual(parseHash('#agents/'), { path: '/agents', query: {} });
  t.deepEqual(matchRoute('/sandbox/:agent/:task', '/sandbox/a%2F1/t%20x'), { agent: 'a/1', task: 't x' });
  t.is(matchRoute('/sandbox/:agent/:task', '/sandbox/a'), undefined);
  t.is(matchRoute('/agents', '/tasks'), undefined);
  t.is(matchRoute('/x/:id', '/x/%E0%A4%A'), undefined);
  t.deepEqual(matchRoute('/', '/'), {});
  t.is(hashFor('/tasks', { filter: 'a b', empty: '' }), '#/tasks?filter=a+b');
});

test('table-window: page info and offsets', (t) => {
  t.deepEqual(pageInfo(100_000, 100, 50), { page: 2, pages: 2000, first: 101, last: 150 });
  t.deepEqual(pageInfo(0, 0, 50), { page: 0, pages: 1, first: 0, last: 0 });
  t.deepEqual(pageInfo(120, 100, 50), { page: 2, pages: 3, first: 101, last: 120 });
  t.is(offsetOfPage(5, 120, 50), 100); // clamped to the last page
  t.is(offsetOfPage(-1, 120, 50), 0);
});

test('table-window: virtual scroll window with overscan', (t) => {
  // 28px rows, 560px viewport: rows 100..120 visible at scrollTop 2800, 5 overscan each side.
  t.deepEqual(virtualWindow(2800, 560, 28, 100_000, 5), { start: 95, end: 126, before: 95 * 28, after: (100_000 - 126) * 28 });
  t.deepEqual(virtualWindow(0, 560, 28, 10, 5), { start: 0, end: 10, before: 0, after: 0 });
  t.deepEqual(virtualWindow(-50, 560, 28, 0, 5), { start: 0, end: 0, before: 0, after: 0 });
  // Scrolled past the end (the list shrank): the window stays inside the list.
  const w = virtualWindow(1e9, 560, 28, 1000, 5);
  t.true(w.start <= w.end && w.end === 1000);
});

test('field-errors: Marathon, Metronome and maestro shapes', (t) => {
  t.deepEqual(fieldErrors({ message: 'Object is not valid', details: [{ path: '/id', errors: ['must not be empty', 'bad'] }, { path: '/container/docker/image', errors: ['required'] }] }), [
    { path: '/id', message: 'must not be empty' }, { path: '/id', message: 'bad' }, { path: '/container/docker/image', message: 'required' },
  ]);
  t.deepEqual(fieldErrors({ message: 'Object is not valid', details: [{ path: 'obj.run.cpus', errors: ['error.min'] }] }), [{ path: '/run/cpus', message: 'error.min' }]);
  t.deepEqual(fieldErrors({ message: 'limit must be positive', field: 'limit' }), [{ path: '/limit', message: 'limit must be positive' }]);
  t.deepEqual(fieldErrors('nope'), []);
  t.is(normalizePath('/'), '');
  t.is(normalizePath('obj.args[2]'), '/args/2');
  t.is(normalizePath('objective'), '/objective');
  t.is(normalizePath('/labels/com.example.tier'), '/labels/com.example.tier', 'a Marathon path keeps the dots of its keys');
});

test('paging: parameters are validated field by field', (t) => {
  t.deepEqual(parsePageParams({}, ['id', 'state'], 'id'), { ok: true, value: { offset: 0, limit: 50, filter: '', sort: 'id', desc: false } });
  t.deepEqual(parsePageParams({ filter: ' Web ', desc: true, sort: 'state' }, ['id', 'state'], 'id'), { ok: true, value: { offset: 0, limit: 50, filter: 'web', sort: 'state', desc: true } });
  const bad = (raw: Record<string, unknown>) => { const r = parsePageParams(raw, ['id'], 'id'); return r.ok ? undefined : r.field; };
  t.is(bad({ offset: -1 }), 'offset');
  t.is(bad({ offset: 1.5 }), 'offset');
  t.is(bad({ limit: 0 }), 'limit');
  t.is(bad({ limit: 501 }), 'limit');
  t.is(bad({ filter: 3 }), 'filter');
  t.is(bad({ sort: 'nope' }), 'sort');
  t.is(bad({ desc: 'yes' }), 'desc');
});

test('paging: takePage equals filter + stable sort + slice, shallow and deep', (t) => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, key: (i * 7919) % 97, name: `task-${i}` }));
  const cmp = (a: { key: number }, b: { key: number }) => a.key - b.key;
  const keep = (r: { name: string }) => matchesFilter('1', [r.name]);
  for (const [offset, limit, desc] of [[0, 50, false], [100, 50, true], [2500, 100, false], [3000, 500, true]] as const) {
    const page = takePage(rows, { offset, limit, filter: '1', sort: 'key', desc }, keep, cmp);
    const want = rows.filter(keep).sort(desc ? (a, b) => cmp(b, a) : cmp);
    t.is(page.total, want.length);
    t.deepEqual(page.rows.map((r) => r.id), want.slice(offset, offset + limit).map((r) => r.id));
  }
  t.deepEqual(takePage([], { offset: 0, limit: 10, filter: '', sort: 'x', desc: false }, () => true, cmp), { total: 0, offset: 0, rows: [] });
});
