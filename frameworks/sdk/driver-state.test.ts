import test from 'ava';
import { transition, type DriverEvent, type DriverState } from './driver-state.ts';

const STATES: DriverState[] = ['DISCONNECTED', 'SUBSCRIBING', 'SUBSCRIBED', 'STOPPED'];
const EVENTS: DriverEvent[] = ['connect', 'subscribed', 'lost', 'stop'];

// Every (state, event) pair, with the expected target or undefined for an illegal move.
const TABLE: Array<[DriverState, DriverEvent, DriverState | undefined]> = [
  ['DISCONNECTED', 'connect', 'SUBSCRIBING'],
  ['DISCONNECTED', 'subscribed', undefined],
  ['DISCONNECTED', 'lost', undefined],
  ['DISCONNECTED', 'stop', 'STOPPED'],
  ['SUBSCRIBING', 'connect', undefined],
  ['SUBSCRIBING', 'subscribed', 'SUBSCRIBED'],
  ['SUBSCRIBING', 'lost', 'DISCONNECTED'],
  ['SUBSCRIBING', 'stop', 'STOPPED'],
  ['SUBSCRIBED', 'connect', undefined],
  ['SUBSCRIBED', 'subscribed', undefined],
  ['SUBSCRIBED', 'lost', 'DISCONNECTED'],
  ['SUBSCRIBED', 'stop', 'STOPPED'],
  ['STOPPED', 'connect', undefined],
  ['STOPPED', 'subscribed', undefined],
  ['STOPPED', 'lost', undefined],
  ['STOPPED', 'stop', undefined],
];

test('the table covers every state and event', (t) => {
  t.is(TABLE.length, STATES.length * EVENTS.length);
});

for (const [from, event, to] of TABLE) {
  test(`${from} --${event}--> ${to ?? 'refused'}`, (t) => {
    const r = transition(from, event);
    if (to === undefined) {
      t.false(r.ok);
      if (!r.ok) t.regex(r.message, new RegExp(`${event} in ${from}`));
    } else {
      t.deepEqual(r, { ok: true, state: to });
    }
  });
}

test('a full life: connect, subscribe, lose, reconnect, stop', (t) => {
  let s: DriverState = 'DISCONNECTED';
  for (const e of ['connect', 'subscribed', 'lost', 'connect', 'lost', 'connect', 'subscribed', 'stop'] as DriverEvent[]) {
    const r = transition(s, e);
    t.true(r.ok, `${e} in ${s}`);
    if (r.ok) s = r.state;
  }
  t.is(s, 'STOPPED');
});
