/**
 * Mesos' table for CommandInfo with a Docker image (docker/runtime isolator), row by row: shell,
 * value and arguments against an image with or without Entrypoint and Cmd.
 */
import test from 'ava';
import { containerArgs } from './oci-command.ts';

const none = {};
const cmdOnly = { cmd: ['/bin/cmd', 'c1'] };
const epOnly = { entrypoint: ['/bin/ep', 'e1'] };
const both = { entrypoint: ['/bin/ep', 'e1'], cmd: ['c1', 'c2'] };
const noValue = (...args: string[]) => ({ shell: false, value: '', arguments: args });

const cases: [string, Parameters<typeof containerArgs>[0], Parameters<typeof containerArgs>[1], readonly string[] | RegExp][] = [
  // sh=0 value=0 argv=0: the image decides (Docker: Entrypoint + Cmd)
  ['no command, no image command', noValue(), none, /neither Entrypoint nor Cmd/],
  ['no command, Cmd only', noValue(), cmdOnly, ['/bin/cmd', 'c1']],
  ['no command, Entrypoint only', noValue(), epOnly, ['/bin/ep', 'e1']],
  ['no command, Entrypoint and Cmd', noValue(), both, ['/bin/ep', 'e1', 'c1', 'c2']],
  // sh=0 value=0 argv=1: arguments replace Cmd (Marathon `args`)
  ['args, no image command', noValue('a'), none, /neither Entrypoint nor Cmd/],
  ['args, Cmd only: Cmd[0] then args', noValue('a', 'b'), cmdOnly, ['/bin/cmd', 'a', 'b']],
  ['args, Entrypoint only', noValue('a'), epOnly, ['/bin/ep', 'e1', 'a']],
  ['args, Entrypoint and Cmd: Cmd replaced', noValue('a'), both, ['/bin/ep', 'e1', 'a']],
  // sh=0 value=1: the value, with arguments after argv[0]; the image's command ignored
  ['value, no arguments', { shell: false, value: '/bin/x', arguments: [] }, both, ['/bin/x']],
  ['value with argv[0] and arguments', { shell: false, value: '/bin/x', arguments: ['x', '1', '2'] }, both, ['/bin/x', '1', '2']],
  ['value with argv[0] only', { shell: false, value: 'x', arguments: ['x'] }, none, ['x']],
  // sh=1
  ['shell: /bin/sh -c value', { shell: true, value: 'echo $HOME', arguments: [] }, both, ['/bin/sh', '-c', 'echo $HOME']],
  ['shell: arguments ignored', { shell: true, value: 'echo hi', arguments: ['x'] }, both, ['/bin/sh', '-c', 'echo hi']],
  ['shell without value', { shell: true, value: '', arguments: [] }, both, /no command value/],
];

for (const [name, command, image, expected] of cases) {
  test(`containerArgs: ${name}`, (t) => {
    const r = containerArgs(command, image);
    if (expected instanceof RegExp) {
      t.false(r.ok);
      if (!r.ok) t.regex(r.message, expected);
    } else {
      t.deepEqual(r, { ok: true, args: expected });
    }
  });
}
