import test from 'ava';
import { FlagError, formatHelp, parseDuration, parseFlags, type FlagSpec } from './flags.ts';

const SPECS: readonly FlagSpec[] = [
  { name: 'port', type: 'number', default: 5050, help: 'port' },
  { name: 'ip', type: 'string', help: 'address' },
  { name: 'quiet', type: 'boolean', default: false, help: 'less output' },
  { name: 'offer_timeout', type: 'duration', help: 'offer timeout' },
];

test('durations in Mesos units become seconds', (t) => {
  const cases: ReadonlyArray<[string, number | undefined]> = [
    ['5secs', 5], ['200ms', 0.2], ['1.5mins', 90], ['2hrs', 7200], ['1days', 86400], ['15', 15], ['10s', 10],
    ['5parsecs', undefined], ['', undefined], ['-1secs', undefined],
  ];
  for (const [text, want] of cases) t.is(parseDuration(text), want, text);
});

test('flags come from defaults, then the environment, then the command line', (t) => {
  const p = parseFlags(SPECS, ['--ip=10.0.0.1', '--quiet', 'up', '--offer_timeout', '2secs'], { MAESTRO_PORT: '6000', MAESTRO_IP: '1.1.1.1' });
  t.deepEqual(p.values, { port: 6000, ip: '10.0.0.1', quiet: true, offer_timeout: 2 });
  t.deepEqual(p.positional, ['up']);
  t.false(p.help);
  t.false(parseFlags(SPECS, ['--quiet', '--no-quiet']).values.quiet);
  t.true(parseFlags(SPECS, ['--help']).help);
});

test('bad flags are errors that name the flag', (t) => {
  const cases: ReadonlyArray<[string[], string, RegExp]> = [
    [['--bogus=1'], 'bogus', /unknown flag --bogus/],
    [['--port=abc'], 'port', /--port: expected a number, got 'abc'/],
    [['--quiet=maybe'], 'quiet', /--quiet: expected true or false/],
    [['--offer_timeout=soon'], 'offer_timeout', /--offer_timeout: expected a duration/],
    [['--ip'], 'ip', /--ip: missing value/],
  ];
  for (const [argv, flag, message] of cases) {
    const e = t.throws(() => parseFlags(SPECS, argv), { instanceOf: FlagError, message }, argv.join(' '));
    t.is(e?.flag, flag);
  }
  t.throws(() => parseFlags(SPECS, [], { MAESTRO_PORT: 'x' }), { instanceOf: FlagError });
});

test('help lists every flag with its default', (t) => {
  const text = formatHelp('maestro master [flags]', 'Runs a master.', SPECS);
  t.regex(text, /--port=VALUE\n {6}port \(default: 5050\)/);
  t.regex(text, /--quiet\n/);
  t.regex(text, /MAESTRO_<FLAG>/);
});
