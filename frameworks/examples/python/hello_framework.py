#!/usr/bin/env python3
"""A complete Mesos v1 scheduler ("framework") in Python, standard library only.

It registers with a maestro (or Apache Mesos) master through the scheduler HTTP API, launches
N copies of a shell command on the first offer that fits them all, acknowledges every status
update, tears the framework down and exits:

    python3 hello_framework.py --master 127.0.0.1:5050 --command 'echo hello' [--tasks 1]

Exit status: 0 when every task reached TASK_FINISHED, 1 when a task ended any other way
(TASK_FAILED, TASK_ERROR, TASK_LOST, ...), 2 when the master refused us or went away.

The protocol, in short (docs/frameworks.md has the long version):
  * SUBSCRIBE is a POST to /api/v1/scheduler whose response never ends: the master streams
    events over it in RecordIO framing, "<decimal length>\\n<that many bytes of JSON>", and
    names the stream in a Mesos-Stream-Id header.
  * Every other call (ACCEPT, DECLINE, ACKNOWLEDGE, TEARDOWN, ...) is a separate POST to the
    same path carrying that Mesos-Stream-Id; the master answers 202 Accepted with no body and
    reports the results as events on the stream.
  * A master that is not the leader answers 307 with a Location naming the leader.

One line is printed per event handled, so a run reads as a transcript of the protocol.
"""
import argparse
import getpass
import http.client
import json
import sys
import urllib.parse

API_PATH = "/api/v1/scheduler"
MAX_REDIRECTS = 5
# Terminal task states other than TASK_FINISHED: any of them fails the run.
FAILED_STATES = {"TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
                 "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}


def log(line):
    print(line, flush=True)


class Framework:
    def __init__(self, master, command, tasks, cpus, mem):
        self.master = master          # "host:port" of the master we talk to (the leader, after redirects)
        self.command = command
        self.task_count = tasks
        self.cpus = cpus
        self.mem = mem
        self.framework_id = None      # {"value": ...}, from SUBSCRIBED
        self.stream_id = None         # Mesos-Stream-Id header of our subscription
        self.launched = False
        self.finished = set()         # ids of tasks that reached TASK_FINISHED

    # ---- the HTTP side -------------------------------------------------------------------

    def post(self, body, headers, timeout):
        """POSTs a JSON call to the master, following 307 redirects to the leading master.

        Returns the open HTTPResponse and the socket it reads from (the caller reads the body).
        """
        for _ in range(MAX_REDIRECTS):
            host, port = self.master.rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
            conn.connect()
            sock = conn.sock  # kept: for SUBSCRIBE the read timeout changes once we know the heartbeat
            conn.request("POST", API_PATH, body=json.dumps(body), headers=headers)
            response = conn.getresponse()
            if response.status != 307:
                return response, sock
            # Location is scheme-relative, "//leader-host:port/api/v1/scheduler".
            location = urllib.parse.urlsplit(response.getheader("Location", ""))
            response.read()
            conn.close()
            log(f"REDIRECT {self.master} is not the leader; the leader is {location.netloc}")
            self.master = location.netloc
        log(f"more than {MAX_REDIRECTS} redirects")
        raise SystemExit(2)

    def call(self, call):
        """Sends a call (anything but SUBSCRIBE) on its own connection; the master answers 202."""
        call["framework_id"] = self.framework_id
        response, _ = self.post(call, {"Content-Type": "application/json",
                                       "Mesos-Stream-Id": self.stream_id}, timeout=30)
        text = response.read().decode()
        response.close()
        if response.status != 202:
            log(f"{call['type']} refused: {response.status} {text}")
            if call["type"] != "TEARDOWN":
                self.teardown_and_exit(2)

    def subscribe(self):
        """Opens the event stream. Returns the response to read RecordIO records from, and its socket."""
        framework_info = {
            "user": getpass.getuser(),     # tasks run as this user on the agents
            "name": "hello-python",
            "roles": ["*"],                # the default role: unreserved resources
            "capabilities": [{"type": "MULTI_ROLE"}],
            # If our connection drops, the master keeps the framework and its tasks this many
            # seconds for us (or a successor given our framework id) to re-subscribe with
            # framework_info.id set. Hence TEARDOWN when we are done: 0 would remove us at once.
            "failover_timeout": 60,
        }
        response, sock = self.post({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info}},
                                   {"Content-Type": "application/json", "Accept": "application/json"},
                                   timeout=30)
        if response.status != 200:
            log(f"SUBSCRIBE refused: {response.status} {response.read().decode()}")
            raise SystemExit(2)
        self.stream_id = response.getheader("Mesos-Stream-Id")
        return response, sock

    @staticmethod
    def read_event(stream):
        """Reads one RecordIO record: a decimal length, a newline, then that many bytes of JSON.

        http.client undoes the chunked transfer encoding, so records are read from a plain
        byte stream (one record per HTTP chunk in practice, but a client must not rely on it).
        """
        header = stream.readline()
        if not header:
            return None  # the master ended the stream
        return json.loads(stream.read(int(header)))

    # ---- the scheduler -------------------------------------------------------------------

    def run(self):
        stream, sock = self.subscribe()
        while True:
            try:
                event = self.read_event(stream)
            except TimeoutError:
                # No HEARTBEAT for several intervals: the master (or the network) is gone. A
                # long-running framework would now re-subscribe, with its framework id.
                log("no event for several heartbeat intervals: the master is gone")
                raise SystemExit(2)
            if event is None:
                log("the master closed the event stream")
                raise SystemExit(2)
            handler = getattr(self, "on_" + event["type"].lower(), None)
            if handler is None:
                log(f"{event['type']} (ignored)")
            else:
                handler(event, sock)

    def on_subscribed(self, event, sock):
        subscribed = event["subscribed"]
        self.framework_id = subscribed["framework_id"]
        interval = subscribed.get("heartbeat_interval_seconds", 15)
        # Watchdog: the master sends a HEARTBEAT every `interval` seconds, so a read that sees
        # nothing for three intervals means the connection is dead even if TCP has not noticed.
        sock.settimeout(3 * interval)
        log(f"SUBSCRIBED framework_id={self.framework_id['value']} stream_id={self.stream_id} "
            f"heartbeat={interval}s")

    def on_heartbeat(self, event, sock):
        log("HEARTBEAT")

    def fits(self, offer):
        """True when the offer holds cpus and mem for all the tasks (unreserved, role '*')."""
        have = {}
        for r in offer["resources"]:
            if r["type"] == "SCALAR" and "reservations" not in r and "reservation" not in r:
                have[r["name"]] = have.get(r["name"], 0) + r["scalar"]["value"]
        return (have.get("cpus", 0) >= self.cpus * self.task_count
                and have.get("mem", 0) >= self.mem * self.task_count)

    def on_offers(self, event, sock):
        offers = event["offers"]["offers"]
        chosen = None if self.launched else next((o for o in offers if self.fits(o)), None)
        if chosen is not None:
            self.launch(chosen)
        rest = [o["id"] for o in offers if o is not chosen]
        if rest:
            # The filter asks the allocator not to offer these resources again for a while; we
            # need nothing else once our tasks are launched (SUPPRESS would stop offers entirely).
            self.call({"type": "DECLINE", "decline": {"offer_ids": rest, "filters": {"refuse_seconds": 60}}})
        log(f"OFFERS {len(offers)} offer(s): "
            f"{'accepted ' + chosen['id']['value'] + ', ' if chosen else ''}declined {len(rest)}")

    def launch(self, offer):
        # With MULTI_ROLE, every resource of a task names the role it was offered to.
        allocation = offer["resources"][0].get("allocation_info", {"role": "*"})
        tasks = []
        for i in range(self.task_count):
            tasks.append({
                "name": f"hello-{i}",
                "task_id": {"value": f"hello-{i}"},   # unique within the framework
                "agent_id": offer["agent_id"],
                "resources": [
                    {"name": "cpus", "type": "SCALAR", "scalar": {"value": self.cpus}, "allocation_info": allocation},
                    {"name": "mem", "type": "SCALAR", "scalar": {"value": self.mem}, "allocation_info": allocation},
                ],
                # No executor: the agent runs the command itself ("command task"), via /bin/sh -c.
                "command": {"value": self.command, "shell": True},
            })
        self.call({"type": "ACCEPT", "accept": {
            "offer_ids": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
            # Whatever the tasks leave of the offer goes back to the allocator, refused for 60 s.
            "filters": {"refuse_seconds": 60},
        }})
        self.launched = True

    def on_rescind(self, event, sock):
        # The master took an offer back (it timed out, or its agent left); we hold none, so
        # there is nothing to undo.
        log(f"RESCIND offer {event['rescind']['offer_id']['value']}")

    def on_update(self, event, sock):
        status = event["update"]["status"]
        task, state = status["task_id"]["value"], status["state"]
        detail = " ".join(f"{k}={status[k]!r}" for k in ("reason", "message") if k in status)
        acked = ""
        if "uuid" in status:
            # Reliable delivery: the agent resends this update until we acknowledge its uuid,
            # and holds back the task's later updates meanwhile. Updates without a uuid (answers
            # to RECONCILE) are not acknowledged.
            self.call({"type": "ACKNOWLEDGE", "acknowledge": {
                "agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": status["uuid"]}})
            acked = " (acknowledged)"
        log(f"UPDATE {task} {state}{' ' + detail if detail else ''}{acked}")
        if state == "TASK_FINISHED":
            self.finished.add(task)
            if len(self.finished) == self.task_count:
                self.teardown_and_exit(0)
        elif state in FAILED_STATES:
            self.teardown_and_exit(1)

    def on_message(self, event, sock):
        # Sent by one of our executors (command tasks have none of ours); data is base64.
        log(f"MESSAGE from executor {event['message']['executor_id']['value']}")

    def on_failure(self, event, sock):
        # An agent was lost, or an executor exited; task updates say what happened to tasks.
        failure = event["failure"]
        who = failure.get("agent_id", {}).get("value", "?")
        log(f"FAILURE agent={who} executor={failure.get('executor_id', {}).get('value', '-')}")

    def on_error(self, event, sock):
        # The master refuses to serve us (say, an invalid FrameworkInfo); the stream ends next.
        log(f"ERROR {event['error']['message']}")
        raise SystemExit(2)

    def teardown_and_exit(self, code):
        # TEARDOWN removes the framework: its tasks are killed, its offers rescinded, and the
        # master ends our event stream. Without it the master would keep the framework, and any
        # task still running, for failover_timeout after we disconnect.
        self.call({"type": "TEARDOWN"})
        log(f"TEARDOWN sent; exiting {code}")
        raise SystemExit(code)


def main():
    parser = argparse.ArgumentParser(description="Launch a command on a Mesos-style cluster through the v1 scheduler API.")
    parser.add_argument("--master", required=True, help="host:port of a master (a non-leader redirects us)")
    parser.add_argument("--command", required=True, help="shell command each task runs")
    parser.add_argument("--tasks", type=int, default=1, help="how many tasks (all on one offer)")
    parser.add_argument("--cpus", type=float, default=0.1, help="cpus per task")
    parser.add_argument("--mem", type=float, default=32, help="memory per task, MB")
    args = parser.parse_args()
    try:
        Framework(args.master, args.command, args.tasks, args.cpus, args.mem).run()
    except OSError as error:  # connection refused or reset: no master there, or it went away
        log(f"cannot talk to the master at {args.master}: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
