import test from 'ava';
import fc from 'fast-check';
import { matchesLabels, parseLabelSelector } from './label-selector.ts';

const labels = { tier: 'front', env: 'prod', 'a.b': 'x,y' };

const rows: [string, boolean][] = [
  ['tier', true],
  ['missing', false],
  ['tier==front', true],
  ['tier==back', false],
  ['tier!=back', true],
  ['missing!=x', true], // != holds for an absent label
  ['env in (dev, prod)', true],
  ['env in (dev)', false],
  ['env notin (dev)', true],
  ['missing notin (dev)', true],
  ['tier==front, env==prod', true],
  ['tier==front,env==dev', false],
  ['a.b==x\\,y', true], // escaped comma in a value
];
for (const [selector, expected] of rows) {
  test(`"${selector}" matches ${JSON.stringify(labels)}: ${expected}`, (t) => {
    const r = parseLabelSelector(selector);
    if (!r.ok) return t.fail(r.message);
    t.is(matchesLabels(r.terms, labels), expected);
  });
}

for (const bad of ['', 'a==', 'a in (b', 'a in ()', '==b', 'a b', 'a,']) {
  test(`"${bad}" is not a selector`, (t) => {
    const r = parseLabelSelector(bad);
    t.false(r.ok);
  });
}

test('property: k==v holds exactly when the label equals v, and k!=v is its negation', (t) => {
  const word = fc.stringMatching(/^[a-z0-9_.-]{1,8}$/);
  fc.assert(fc.property(word, word, fc.dictionary(word, word), (k, v, ls) => {
    const eq = parseLabelSelector(`${k}==${v}`);
    const ne = parseLabelSelector(`${k}!=${v}`);
    if (!eq.ok || !ne.ok) return false;
    return matchesLabels(eq.terms, ls) === (Object.prototype.hasOwnProperty.call(ls, k) && ls[k] === v)
      && matchesLabels(ne.terms, ls) === !matchesLabels(eq.terms, ls);
  }));
  t.pass();
});
