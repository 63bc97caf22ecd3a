"""Spawn progress: what JupyterHub's spawn page and
`GET /hub/api/users/NAME/server/progress` show while a server starts.

start() records each step as it begins or ends (SpawnProgress.step/done),
so every event says what actually happened, never what a timer guesses; the
only thing measured here is how long the hub has been waiting for a started
server to answer. Percentages only grow. The pure part (the events and the
limits in words) is apart from the recorder so it is tested on its own.
"""

import asyncio
import time

from .in_server.words import bytes_in_words

# Where each step puts the bar (JupyterHub itself sends 0 "Server requested"
# before ours and 100 when the server is ready or the spawn failed).
PROFILE, HOST_CHECK, SLICE, SERVER_START, CGROUP, STARTED, WAITING, WAITING_END = (
    5, 10, 20, 30, 50, 60, 70, 95)
# How often a consumer is told again how long the wait has lasted.
WAIT_UPDATE_SECONDS = 5.0


def cpus_in_words(cpus):
    """1 -> '1 CPU', 1.5 -> '1.5 CPUs', 0.25 -> '0.25 CPUs'."""
    text = f"{cpus:.2f}".rstrip("0").rstrip(".")
    return f"{text} CPU" + ("" if text == "1" else "s")


def limits_in_words(memory=None, cpus=None, tasks=None):
    """'512 MiB, 1 CPU, 256 tasks'. Each of MEMORY (bytes), CPUS, TASKS is a
    number, 'max' (no limit: said so) or None (no such controller: left out)."""
    words = []
    if memory is not None:
        words.append("no memory limit" if memory == "max" else bytes_in_words(memory))
    if cpus is not None:
        words.append("no CPU limit" if cpus == "max" else cpus_in_words(cpus))
    if tasks is not None:
        words.append("no task limit" if tasks == "max" else f"{int(tasks)} tasks")
    return ", ".join(words) or "no limits"


def status_limits_in_words(status):
    """The limits in force, from `cgspawn status --json` (the kernel's
    strings: memory_max '536870912' or 'max', cpu_max '100000 100000' or
    'max 100000', pids_max '256' or 'max'; null: controller not enabled)."""
    def number(text):
        return "max" if text == "max" else int(text)

    memory, cpu, tasks = status.get("memory_max"), status.get("cpu_max"), status.get("pids_max")
    try:
        cpus = None
        if cpu is not None:
            quota, _, period = cpu.partition(" ")
            cpus = "max" if quota == "max" else int(quota) / int(period or 100000)
        return limits_in_words(None if memory is None else number(memory), cpus,
                               None if tasks is None else number(tasks))
    except (AttributeError, TypeError, ValueError, ZeroDivisionError):
        # Words only: a value they cannot read must never fail the start.
        return f"limits memory.max={memory} cpu.max={cpu} pids.max={tasks}"


def slice_limits_in_words(args):
    """The limits of `cgspawn slice set` ARGS (slice name, then flag value
    pairs, as limits.slice_set_args gives them) in words."""
    flags = dict(zip(args[1::2], args[2::2]))
    memory, cpus, tasks = (flags.get(f) for f in ("--memory-max", "--cpu-max", "--tasks-max"))
    return limits_in_words(None if memory is None else int(memory),
                           None if cpus is None else float(cpus),
                           None if tasks is None else int(tasks))


def event(progress, message):
    return {"progress": progress, "message": message}


def waiting_event(where, waited, timeout):
    """The bar moves from WAITING towards WAITING_END as the wait uses up
    http_timeout (TIMEOUT seconds), so it grows and never reaches 100."""
    share = min(1.0, waited / timeout) if timeout and timeout > 0 else 0.0
    progress = WAITING + int((WAITING_END - WAITING) * share)
    return event(progress, f"Waiting for the server to answer at {where}: {int(waited)} s so far")


def failure_event(progress, step, error):
    text = str(error).strip() or type(error).__name__
    return event(progress, f"Spawn failed at {step}: {text[:500]}")


class SpawnProgress:
    """The events of the current start, for any number of consumers (each
    progress() call follows them from the first). reset() begins a new
    start; a consumer that was following the old one starts over."""

    def __init__(self, clock=time.monotonic, update_seconds=WAIT_UPDATE_SECONDS):
        self._clock = clock
        self._update_seconds = update_seconds
        self._changed = asyncio.Event()
        self.reset()

    def reset(self):
        self.events = []
        self.step_name = "preparing the spawn"
        self.failed = False
        self._waiting = None  # (where, since, timeout) once the server started
        self.generation = getattr(self, "generation", 0) + 1
        self._wake()

    def _wake(self):
        # Waiters hold the old Event; a fresh one for the next change.
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def last_progress(self):
        return self.events[-1]["progress"] if self.events else 0

    def step(self, name, progress=None, message=None):
        """Step NAME begins; with MESSAGE it is also shown (some steps, e.g.
        checking for an earlier unit, only name a failure)."""
        self.step_name = name
        if message is not None:
            self.done(progress, message)

    def done(self, progress, message):
        self.events.append(event(max(progress, self.last_progress), message))
        self._wake()

    def waiting(self, where, timeout):
        """start() returned: the hub now waits for the server at WHERE for
        up to TIMEOUT seconds (http_timeout)."""
        self.step_name = "waiting for the server to answer"
        self._waiting = (where, self._clock(), timeout)
        self.done(WAITING, f"Waiting for the server to answer at {where}")

    def fail(self, error):
        self.failed = True
        self.events.append(failure_event(self.last_progress, self.step_name, error))
        self._wake()

    async def follow(self):
        """Every event of the current start, then each new one as it comes;
        while the hub waits for the server, how long it has waited, every
        few seconds. Ends after a failure; otherwise the hub stops reading
        once the spawn is over."""
        generation, index, shown = self.generation, 0, 0
        while True:
            if generation != self.generation:
                generation, index = self.generation, 0
            while index < len(self.events):
                shown = max(shown, self.events[index]["progress"])
                yield {**self.events[index], "progress": shown}
                index += 1
            if self.failed:
                return
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), self._update_seconds if self._waiting else None)
            except asyncio.TimeoutError:
                where, since, timeout = self._waiting
                update = waiting_event(where, self._clock() - since, timeout)
                shown = max(shown, update["progress"])
                yield {**update, "progress": shown}
