/**
 * The agent books' pure helpers: the task's user (one rule for the launch, the URI fetch and the
 * health and check probes), the wait status of a termination, and what fits beside the resources
 * in use.
 */
import test from 'ava';
import { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';
import { fitsInto, taskUser, waitStatus } from './agent-books.ts';
import type { Termination } from './containerizer.ts';

const command = (user?: string): mesos.v1.CommandInfo => ({ value: 'true', ...(user !== undefined ? { user } : {}) });
const framework = (user: string): mesos.v1.FrameworkInfo => ({ user, name: 'fw' });

const users: [string, mesos.v1.CommandInfo | undefined, mesos.v1.FrameworkInfo | undefined, string | undefined][] = [
  ['CommandInfo.user wins', command('alice'), framework('bob'), 'alice'],
  ['FrameworkInfo.user when the command names none', command(), framework('bob'), 'bob'],
  ['FrameworkInfo.user when there is no command', undefined, framework('bob'), 'bob'],
  ['an empty CommandInfo.user is the agent\'s user', command(''), framework('bob'), undefined],
  ['an empty FrameworkInfo.user is the agent\'s user', command(), framework(''), undefined],
  ['no framework known: CommandInfo.user', command('alice'), undefined, 'alice'],
  ['nothing named: the agent\'s user', command(), undefined, undefined],
];

for (const [name, cmd, fw, expected] of users) {
  test(`task user: ${name}`, (t) => {
    t.is(taskUser(cmd, fw), expected);
  });
}

const statuses: [Termination, number | undefined][] = [
  [{ kind: 'exited', exitCode: 0, message: '' }, 0],
  [{ kind: 'exited', exitCode: 3, message: '' }, 768], // 3 << 8
  [{ kind: 'exited', exitCode: 256 + 1, message: '' }, 256], // only the low byte: 1 << 8
  [{ kind: 'signaled', signal: 9, message: '' }, 9],
  [{ kind: 'signaled', signal: 15, message: '' }, 15],
  [{ kind: 'launch-failed', message: 'x' }, undefined],
  [{ kind: 'unknown', message: 'x' }, undefined],
];

for (const [termination, expected] of statuses) {
  test(`wait status of ${JSON.stringify(termination)}: ${expected}`, (t) => {
    t.is(waitStatus(termination), expected);
  });
}

const fits: [string, string, string | undefined][] = [
  // total cpus:2;mem:1024;ports:[31000-31010]
  ['cpus:1;mem:128', 'cpus:1;mem:128', undefined], // cpus 1 + 1 = 2
  ['cpus:1.5;mem:128', 'cpus:1', 'cpus: 1 requested, 0.5 left of 2'],
  ['mem:1000', 'mem:25', 'mem: 25 requested, 24 left of 1024'],
  ['ports:[31000-31000]', 'cpus:0.1;ports:[31000-31000]', 'ports: [31000-31000] is already in use'],
  ['', 'ports:[80-80]', 'ports: [80-80] is not among the agent\'s ports'],
  ['ports:[31000-31000]', 'ports:[31001-31010]', undefined],
];

for (const [used, wanted, expected] of fits) {
  test(`fits beside '${used}': ${wanted} -> ${expected ?? 'fits'}`, (t) => {
    const total = Resources.parse('cpus:2;mem:1024;ports:[31000-31010]');
    t.is(fitsInto(total, Resources.parse(used), Resources.parse(wanted)), expected);
  });
}
