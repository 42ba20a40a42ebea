#!/usr/bin/python3
"""A scenario for maestro's marathon, driven only by the unmodified Debian package python3-marathon.

    python3 marathon_python_scenario.py <marathon URL> <app id prefix>

Creates <prefix>/sleeper (cmd 'sleep 1000', cpus 0.1, mem 32, instances 2), finds it in the app
list, gets it, waits for 2 running tasks, scales to 3 and waits, lists the app's tasks, kills one
without scaling and waits for its replacement, kills one with scaling and checks that instances
dropped to 2, lists deployments, reads info and leader, deletes the app and waits until it is gone.

Prints one line per step; on any failure (a wrong answer, a timeout, or an exception from the
client, such as a model refusing a field it does not know) prints the reason and exits 1.
Every wait is bounded (MARATHON_SCENARIO_WAIT seconds, default 90).

The client is Debian's package, so the script runs under Debian's python (/usr/bin/python3): a
`python3` first on PATH that is another interpreter (pyenv, a venv) re-executes it there.
"""
import os
import sys
import time
import traceback

DEBIAN_PYTHON = '/usr/bin/python3'
try:
    import marathon
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and os.path.exists(DEBIAN_PYTHON):
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, '-I', os.path.abspath(__file__), *sys.argv[1:]])
    print('FAILED: the Debian package python3-marathon is not installed (deploy/install-deps installs it)', flush=True)
    sys.exit(1)

from marathon import MarathonClient
from marathon.exceptions import NotFoundError
from marathon.models import MarathonApp

WAIT_SECONDS = float(os.environ.get('MARATHON_SCENARIO_WAIT', '90'))
POLL_SECONDS = 0.5


class ScenarioError(Exception):
    """A step saw something other than what Marathon would answer."""


def say(line):
    print(line, flush=True)


def check(condition, message):
    if not condition:
        raise ScenarioError(message)


def wait_until(what, probe):
    """Calls probe() until it returns (True, detail); fails after WAIT_SECONDS with the last detail."""
    deadline = time.monotonic() + WAIT_SECONDS
    detail = 'not polled yet'
    while time.monotonic() < deadline:
        done, detail = probe()
        if done:
            return detail
        time.sleep(POLL_SECONDS)
    raise ScenarioError(f'timed out after {WAIT_SECONDS:g}s waiting for {what}; last seen: {detail}')


def running_task_ids(client, app_id):
    return sorted(t.id for t in client.list_tasks(app_id) if t.state == 'TASK_RUNNING')


def app_deployments(client, app_id):
    return [d.id for d in client.list_deployments() if app_id in (d.affected_apps or [])]


def settled(client, app_id, count, gone=()):
    """`count` tasks running, none of `gone` listed any more, and no deployment of the app left."""
    def probe():
        listed = [t.id for t in client.list_tasks(app_id)]
        running = running_task_ids(client, app_id)
        deployments = app_deployments(client, app_id)
        lingering = [i for i in gone if i in listed]
        done = len(running) == count and not lingering and not deployments
        return done, f'running={running} lingering={lingering} deployments={deployments}'
    return probe


def scenario(client, app_id):
    say(f'client: python3-marathon against {client.servers[0]}, app {app_id}')

    created = client.create_app(app_id, MarathonApp(cmd='sleep 1000', cpus=0.1, mem=32, instances=2))
    check(isinstance(created, MarathonApp), f'create_app answered {created!r}, not 201 with the app')
    check(created.id == app_id, f'create_app: id {created.id!r}, expected {app_id!r}')
    check(created.instances == 2 and created.cmd == 'sleep 1000', f'create_app: instances={created.instances} cmd={created.cmd!r}')
    say(f'create_app: {created.id} (instances {created.instances}, version {created.version})')

    listed = [a.id for a in client.list_apps()]
    check(app_id in listed, f'list_apps: {app_id} missing from {listed}')
    say(f'list_apps: {len(listed)} app(s), {app_id} among them')

    got = client.get_app(app_id)
    check(got.id == app_id and got.instances == 2, f'get_app: id={got.id!r} instances={got.instances}')
    check(got.cpus == 0.1 and got.mem == 32, f'get_app: cpus={got.cpus} mem={got.mem}')
    say(f'get_app: {got.id} instances={got.instances} cpus={got.cpus} mem={got.mem}')

    running = wait_until('2 running tasks', settled(client, app_id, 2))
    say(f'running: 2 tasks ({running})')

    scaled = client.scale_app(app_id, instances=3)
    check(isinstance(scaled, dict) and 'deploymentId' in scaled, f'scale_app answered {scaled!r}')
    say(f'scale_app: instances=3, deployment {scaled["deploymentId"]}')
    running = wait_until('3 running tasks', settled(client, app_id, 3))
    check(client.get_app(app_id).instances == 3, 'get_app after scale_app: instances is not 3')
    say(f'running: 3 tasks ({running})')

    tasks = client.list_tasks(app_id)
    check(len(tasks) == 3, f'list_tasks: {len(tasks)} tasks, expected 3')
    for task in tasks:
        check(task.app_id == app_id, f'list_tasks: task {task.id} has appId {task.app_id!r}')
        check(task.host and task.slave_id and task.started_at is not None, f'list_tasks: task {task.id} lacks host/slaveId/startedAt')
    say(f'list_tasks: {[t.id for t in tasks]}')

    victim = tasks[0].id
    killed = client.kill_task(app_id, victim, scale=False)
    killed_id = killed.id if hasattr(killed, 'id') else killed
    check(killed_id == victim, f'kill_task answered {killed!r}, expected task {victim}')
    say(f'kill_task: {victim} (scale=False)')
    running = wait_until(f'a replacement for {victim}', settled(client, app_id, 3, gone=[victim]))
    check(client.get_app(app_id).instances == 3, 'get_app after kill_task without scale: instances is not 3')
    say(f'replaced: 3 tasks running, {victim} gone ({running})')

    victim = client.list_tasks(app_id)[0].id
    ok = client.kill_given_tasks([victim], scale=True)
    check(ok is True, f'kill_given_tasks answered {ok!r} (not 200)')
    say(f'kill_given_tasks: {victim} (scale=True)')
    instances = wait_until('instances to drop to 2', lambda: (lambda n: (n == 2, f'instances={n}'))(client.get_app(app_id).instances))
    running = wait_until(f'{victim} gone with 2 running', settled(client, app_id, 2, gone=[victim]))
    say(f'scaled down: {instances}, 2 tasks running, {victim} gone ({running})')

    deployments = client.list_deployments()
    say(f'list_deployments: {len(deployments)} deployment(s) {[d.id for d in deployments]}')

    info = client.get_info()
    check(info.name, f'get_info: no name in {info!r}')
    say(f'get_info: {info.name} {info.version} leader={info.leader} framework={info.framework_id}')
    leader = client.get_leader()
    check(isinstance(leader, dict) and leader.get('leader'), f'get_leader answered {leader!r}')
    say(f'get_leader: {leader["leader"]}')

    deleted = client.delete_app(app_id)
    check(isinstance(deleted, dict) and 'deploymentId' in deleted, f'delete_app answered {deleted!r}')
    say(f'delete_app: deployment {deleted["deploymentId"]}')

    def gone():
        try:
            found = client.get_app(app_id)
            return False, f'still there with {found.tasks_running} running'
        except NotFoundError:
            return app_id not in [a.id for a in client.list_apps()], 'listed by list_apps'
    wait_until(f'{app_id} to be gone', gone)
    say(f'gone: {app_id} answers 404')


def main(argv):
    if len(argv) != 3:
        say(f'usage: {argv[0]} <marathon URL> <app id prefix>')
        return 2
    url, prefix = argv[1], argv[2]
    app_id = '/' + '/'.join(p for p in (prefix.strip('/'), 'sleeper') if p)
    client = MarathonClient(url, timeout=10)
    try:
        scenario(client, app_id)
    except Exception as error:  # every failure, the client's exceptions included, is a failed scenario
        kind = '' if isinstance(error, ScenarioError) else f'{type(error).__name__}: '
        say(f'FAILED: {kind}{error}')
        traceback.print_exc(file=sys.stderr)
        try:
            client.delete_app(app_id, force=True)
        except Exception:
            pass
        return 1
    say('OK: scenario passed')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
