/**
 * The run directory's parsers (exit status, pids, container record), /proc stat parsing and the
 * usage arithmetic, with the expected values beside each case.
 */
import test from 'ava';
import { parseStat } from './proc-stat.ts';
import type { ProcStat } from './proc-stat.ts';
import { usageOf } from './posix-containerizer.ts';
import { parseContainerRecord, parseExitStatus, parsePids, signalDescription } from './run-files.ts';

test('exit status lines', (t) => {
  const cases: Array<[string, unknown]> = [
    ['exited 0\n', { kind: 'exited', exitCode: 0, message: 'Command exited with status 0' }],
    ['exited 137\n', { kind: 'exited', exitCode: 137, message: 'Command exited with status 137' }],
    ['signaled 9\n', { kind: 'signaled', signal: 9, message: 'Command terminated with signal Killed' }],
    ['signaled 15', { kind: 'signaled', signal: 15, message: 'Command terminated with signal Terminated' }],
    ['', undefined],
    ['exited\n', undefined],
    ['stopped 3\n', undefined],
  ];
  for (const [text, expected] of cases) t.deepEqual(parseExitStatus(text), expected, JSON.stringify(text));
});

test('signal descriptions', (t) => {
  t.is(signalDescription(9), 'Killed');
  t.is(signalDescription(2), 'Interrupt');
  t.is(signalDescription(11), 'Segmentation fault');
  t.is(signalDescription(250), 'Unknown signal 250');
});

test('pids and container records', (t) => {
  t.deepEqual(parsePids('123 456\n'), { supervisorPid: 123, taskPid: 456 });
  t.is(parsePids('123\n'), undefined);
  t.is(parsePids('a b\n'), undefined);
  t.deepEqual(parseContainerRecord('{"supervisorPid":1,"taskPid":2,"supervisorStart":3}'), { supervisorPid: 1, taskPid: 2, supervisorStart: 3 });
  t.is(parseContainerRecord('{"supervisorPid":1}'), undefined);
  t.is(parseContainerRecord('not json'), undefined);
});

test('/proc/<pid>/stat, a command name with spaces and parentheses included', (t) => {
  // Fields 3..24 after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
  const line = '4242 (my (odd) name) S 17 4242 4242 0 -1 4194304 10 0 0 0 250 75 0 0 20 0 3 0 987654 1234567 321 18446744073709551615';
  t.deepEqual(parseStat(line), {
    pid: 4242,
    comm: 'my (odd) name',
    state: 'S',
    ppid: 17,
    pgrp: 4242,
    session: 4242,
    utime: 250,
    stime: 75,
    threads: 3,
    startTime: 987654,
    rss: 321,
  });
  t.is(parseStat('garbage'), undefined);
  t.is(parseStat('12 (x) S 1 2'), undefined);
});

test('usage sums the processes: ticks of 1/100 s, pages of 4 KiB', (t) => {
  const p = (utime: number, stime: number, threads: number, rss: number): ProcStat => ({ pid: 1, comm: 'x', state: 'S', ppid: 0, pgrp: 0, session: 0, utime, stime, threads, startTime: 0, rss });
  t.deepEqual(usageOf([p(150, 50, 2, 100), p(50, 25, 1, 28)], 1_700_000_000_500, { cpusLimit: 0.5, memLimitBytes: 64 * 1024 * 1024 }), {
    timestamp: 1_700_000_000.5,
    processes: 2,
    threads: 3, // 2 + 1
    cpus_user_time_secs: 2, // (150 + 50) / 100
    cpus_system_time_secs: 0.75, // (50 + 25) / 100
    mem_rss_bytes: 524288, // 128 pages × 4096
    cpus_limit: 0.5,
    mem_limit_bytes: 67108864,
  });
  t.deepEqual(usageOf([], 0), { timestamp: 0, processes: 0, threads: 0, cpus_user_time_secs: 0, cpus_system_time_secs: 0, mem_rss_bytes: 0 });
});
