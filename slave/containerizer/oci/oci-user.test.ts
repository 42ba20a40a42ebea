/** Users resolved in the image's own /etc/passwd and /etc/group, as Docker does. */
import test from 'ava';
import { parseGroup, parsePasswd, resolveContainerUser } from './oci-user.ts';

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  '# a comment',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  'app:x:1000:1000::/home/app:/bin/sh',
  'nohome:x:1001:1001::',
  'broken:x:abc:1:',
  '',
].join('\n');
const group = ['root:x:0:', 'nogroup:x:65534:', 'app:x:1000:', 'extra:x:2000:app,other', 'more:x:2001:other,app', 'self:x:1000:app'].join('\n');

const cases: [string, string | undefined, string | undefined, string | undefined, { uid: number; gid: number; additionalGids: number[]; home: string } | RegExp][] = [
  ['none → root', undefined, passwd, group, { uid: 0, gid: 0, additionalGids: [], home: '/root' }],
  ['empty → root', '', passwd, group, { uid: 0, gid: 0, additionalGids: [], home: '/root' }],
  ['name', 'nobody', passwd, group, { uid: 65534, gid: 65534, additionalGids: [], home: '/nonexistent' }],
  ['name with supplementary groups (primary not repeated)', 'app', passwd, group, { uid: 1000, gid: 1000, additionalGids: [2000, 2001], home: '/home/app' }],
  ['uid of a known user', '1000', passwd, group, { uid: 1000, gid: 1000, additionalGids: [2000, 2001], home: '/home/app' }],
  ['unknown numeric uid: gid 0, home /', '4242', passwd, group, { uid: 4242, gid: 0, additionalGids: [], home: '/' }],
  ['user:group by names: no supplementary groups', 'app:extra', passwd, group, { uid: 1000, gid: 2000, additionalGids: [], home: '/home/app' }],
  ['uid:gid unknown numbers', '4242:4343', passwd, group, { uid: 4242, gid: 4343, additionalGids: [], home: '/' }],
  ['user:gid known', 'nobody:0', passwd, group, { uid: 65534, gid: 0, additionalGids: [], home: '/nonexistent' }],
  ['empty home → /', 'nohome', passwd, group, { uid: 1001, gid: 1001, additionalGids: [], home: '/' }],
  ['root without a passwd file', 'root', undefined, undefined, { uid: 0, gid: 0, additionalGids: [], home: '/' }],
  ['unknown name', 'ghost', passwd, group, /no user 'ghost'/],
  ['unknown name without a passwd file', 'app', undefined, undefined, /no user 'app'/],
  ['unknown group name', 'app:ghosts', passwd, group, /no group 'ghosts'/],
];

for (const [name, spec, p, g, expected] of cases) {
  test(`resolveContainerUser: ${name}`, (t) => {
    const r = resolveContainerUser(spec, p, g);
    if (expected instanceof RegExp) {
      t.false(r.ok);
      if (!r.ok) t.regex(r.message, expected);
    } else {
      t.deepEqual(r, { ok: true, user: expected });
    }
  });
}

test('parsePasswd and parseGroup skip comments, blank and malformed lines', (t) => {
  t.deepEqual(parsePasswd(passwd).map((e) => e.name), ['root', 'nobody', 'app', 'nohome']);
  t.deepEqual(parseGroup('a:x:1:u,v\n#c\nbad:x:y:\nb:x:2:\n').map((e) => [e.name, e.gid, e.members]), [['a', 1, ['u', 'v']], ['b', 2, []]]);
});
