/**
 * A complete framework on frameworks/sdk, short enough to copy: runs `--tasks` copies of
 * `--command`, each with `--cpus` and `--mem`, relaunches a failed task up to `--retries` times,
 * and exits 0 once every task FINISHED (1 when one gave up, or the master removed us).
 *
 *   node --import tsx frameworks/examples/typescript/sleep-framework.ts \
 *     --master 127.0.0.1:5050 --tasks 3 --command 'sleep 5' --state /tmp/sleep-fw.json
 *
 * Invariants: the state file (framework id, each task's current id and agent) is written before
 * a task is launched, so a restarted framework fails over to the same framework id and never
 * launches a second copy of a task it may have launched; a task whose launch did not reach the
 * master comes back from reconciliation as TASK_LOST and is retried like a failure.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createSchedulerDriver } from '../../sdk/scheduler-driver.ts';
import { matchOffer } from '../../sdk/offer-matching.ts';
import type { Offer, Operation, TaskStatus } from '../../sdk/scheduler-handler.ts';

const { values: flags } = parseArgs({
  options: {
    master: { type: 'string', default: '127.0.0.1:5050' }, // several: comma-separated
    tasks: { type: 'string', default: '1' },
    command: { type: 'string', default: 'sleep 5' },
    cpus: { type: 'string', default: '0.1' },
    mem: { type: 'string', default: '32' },
    retries: { type: 'string', default: '2' },
    state: { type: 'string', default: 'sleep-framework.json' },
  },
});
const need = { scalars: { cpus: Number(flags.cpus), mem: Number(flags.mem) } };
const retries = Number(flags.retries);
const log = (line: string) => console.log(line);

/** One task slot: `taskId` is the current attempt's id (`task-<slot>-<attempt>`), absent while pending. */
interface Slot { attempts: number; taskId?: string; agentId?: string; state: 'PENDING' | 'LAUNCHED' | 'FINISHED' | 'GAVE_UP' }
interface Saved { frameworkId?: string; slots: Slot[] }

// The state file survives a crash: a restart with the same --state is a failover.
const saved: Saved = existsSync(flags.state)
  ? (JSON.parse(readFileSync(flags.state, 'utf8')) as Saved)
  : { slots: Array.from({ length: Number(flags.tasks) }, () => ({ attempts: 0, state: 'PENDING' as const })) };
const save = () => {
  writeFileSync(`${flags.state}.tmp`, JSON.stringify(saved));
  renameSync(`${flags.state}.tmp`, flags.state); // atomic: a crash leaves the old or the new file
};
const slots = saved.slots;
const pending = () => slots.filter((s) => s.state === 'PENDING');
const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);

const driver = createSchedulerDriver({
  masters: flags.master.split(','),
  // failover_timeout: how long the master keeps our tasks while no scheduler is subscribed.
  frameworkInfo: { user: userInfo().username, name: 'sleep-framework', failover_timeout: 300, checkpoint: true },
  frameworkId: saved.frameworkId,
  handler: {
    subscribed(frameworkId) {
      log(`subscribed ${frameworkId}${frameworkId === saved.frameworkId ? ' (failover)' : ''}`);
      saved.frameworkId = frameworkId;
      save();
    },

    async offers(offers: Offer[]) {
      for (const offer of offers) {
        // Pack as many pending tasks as fit: match against what is left of the offer each time.
        let left = offer;
        const launches: Operation[] = [];
        for (const slot of pending()) {
          const match = matchOffer(left, need);
          if (!match.ok) break;
          slot.attempts += 1;
          slot.taskId = `task-${slots.indexOf(slot)}-${slot.attempts}`;
          slot.agentId = offer.agent_id.value;
          slot.state = 'LAUNCHED';
          launches.push({ type: 'LAUNCH', launch: { task_infos: [{
            name: slot.taskId, task_id: { value: slot.taskId }, agent_id: offer.agent_id,
            resources: match.toProto(), command: { value: flags.command, shell: true },
          }] } });
          left = { ...left, resources: match.rest.toProto() };
        }
        if (launches.length === 0) {
          // Nothing to run here: do not offer these resources again for a while.
          await driver.decline([offer.id.value], { refuse_seconds: 30 });
          log(`declined offer ${offer.id.value}`);
          continue;
        }
        save(); // before ACCEPT: a crash now is answered by reconciliation with TASK_LOST
        const r = await driver.accept([offer.id.value], launches, { refuse_seconds: 5 });
        log(`launched ${launches.map((o) => o.launch?.task_infos?.[0].task_id.value).join(' ')} on ${offer.agent_id.value}: ${r.ok ? 'ok' : r.message}`);
      }
      // Everything launched: ask the master to stop sending offers (SUPPRESS).
      if (pending().length === 0) await driver.setDemand(false);
    },

    rescind() {},

    async update(status: TaskStatus) {
      const slot = slots.find((s) => s.taskId === status.task_id.value);
      log(`${status.task_id.value} ${status.state}${status.reason ? ` ${status.reason}` : ''}`);
      if (slot === undefined || slot.state !== 'LAUNCHED' || !TERMINAL.has(status.state)) return;
      if (status.state === 'TASK_FINISHED') slot.state = 'FINISHED';
      else if (slot.attempts <= retries) {
        slot.state = 'PENDING'; // relaunch: ask for offers again (REVIVE)
        await driver.setDemand(true);
      } else slot.state = 'GAVE_UP';
      save();
      if (slots.some((s) => s.state === 'GAVE_UP')) return finish(1, `a task failed ${slot.attempts} times`);
      if (slots.every((s) => s.state === 'FINISHED')) return finish(0, `all ${slots.length} tasks finished`);
    },

    error(message) {
      log(`error: ${message}`);
      process.exit(1);
    },
  },
});

/** TEARDOWN removes the framework and its tasks from the master; its id is dead, so is the state file. */
async function finish(code: number, why: string) {
  const r = await driver.teardown();
  rmSync(flags.state, { force: true });
  log(`${why}: teardown ${r.ok ? 'ok' : r.message}, exit ${code}`);
  process.exit(code);
}

// Explicit reconciliation of the tasks we believe launched, then implicit, at every SUBSCRIBED
// and every 30 s: after a failover this is how we learn what happened while we were away.
driver.startReconciliation({
  intervalMs: 30_000,
  tasks: () => slots.filter((s) => s.state === 'LAUNCHED').map((s) => ({ taskId: s.taskId!, agentId: s.agentId })),
});
void driver.setDemand(pending().length > 0); // a restart with everything launched stays suppressed
driver.start();
