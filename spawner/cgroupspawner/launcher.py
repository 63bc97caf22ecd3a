"""Running ``cgspawn``: the environment records and the subprocess.

The server's environment (with JupyterHub's API token) goes to ``cgspawn
spawn --env-stdin`` as NUL-separated ``KEY=VALUE`` records on the launcher's
stdin: never in argv (world-readable in /proc/PID/cmdline), never in a file.
"""

import asyncio
import os
import re
import signal

__all__ = [
    "LauncherError",
    "LAUNCHER_ENV",
    "DEFAULT_PATH",
    "Cgspawn",
    "encode_env_records",
    "decode_env_records",
    "run_launcher",
    "run_spawn",
    "OutputForwarder",
]

# The launcher's own environment: nothing of the hub's (which may hold
# CONFIGPROXY_AUTH_TOKEN, cookie secrets, ...). cgspawn passes nothing of its
# own environment on anyway; sudo resets it too.
# The PATH of the launcher, and of a server whose hub has none.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LAUNCHER_ENV = {
    "PATH": DEFAULT_PATH,
    "LANG": "C.UTF-8",
}

_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# cgspawn refuses more than 1 MiB of environment.
MAX_ENV_BYTES = 1 << 20

# Seconds a cancelled call's launcher gets to die of SIGTERM before SIGKILL.
CANCEL_GRACE = 10


class LauncherError(RuntimeError):
    """cgspawn exited non-zero (or could not be run).

    ``str(e)`` and ``e.jupyterhub_message`` carry cgspawn's error line, which
    JupyterHub shows to the user on the spawn page ("Spawn failed: ...").
    """

    def __init__(self, message, *, returncode=None, stderr="", command=None):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr
        self.command = command
        # Read by JupyterHub's progress API for the user-facing message.
        self.jupyterhub_message = message


def encode_env_records(env):
    """dict -> b'K1=V1\\0K2=V2\\0' (the format of /proc/PID/environ).

    Raises ValueError naming a bad key, never printing a value (values may
    be secrets).
    """
    out = bytearray()
    for key, value in env.items():
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValueError(
                f"environment variable name {str(key)[:40]!r} is not [A-Za-z_][A-Za-z0-9_]*"
            )
        if value is None:
            continue
        if not isinstance(value, str):
            value = str(value)
        if "\0" in value:
            raise ValueError(f"environment variable {key} contains a NUL byte")
        out += key.encode("utf-8", "surrogateescape")
        out += b"="
        out += value.encode("utf-8", "surrogateescape")
        out += b"\0"
    if len(out) > MAX_ENV_BYTES:
        raise ValueError("the server's environment exceeds 1 MiB")
    return bytes(out)


def decode_env_records(data):
    """The inverse of encode_env_records (used by the tests)."""
    env = {}
    for record in data.split(b"\0"):
        if not record:
            continue
        key, sep, value = record.partition(b"=")
        if not sep:
            raise ValueError(f"record without '=': {key[:40]!r}")
        env[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    return env


def error_line(stderr):
    """The line of cgspawn's stderr that says what went wrong.

    cgspawn prints one ``cgspawn: error: STEP: MESSAGE`` line on failure
    (warnings may come before it): prefer the error lines, else the last
    non-empty line.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    chosen = errors or lines[-1:]
    text = "; ".join(chosen)
    return text[:2000]


def _read_available(fd):
    """Everything readable now from a non-blocking fd, and whether EOF was seen."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return b"".join(chunks), False
        except OSError:
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


class OutputForwarder:
    """Forward a server's output, line by line, from pipes it inherited.

    With ``--log-target stderr`` (or ``auto`` where journald does not run)
    the server keeps cgspawn's stdout and stderr. Those are pipes of ours:
    we must keep reading them (closing them would give the server EPIPE, and
    waiting for their end would wait for the server's end), so their lines go
    to the hub's log until the server closes them.
    """

    def __init__(self, fds, emit, initial=b""):
        self._loop = asyncio.get_running_loop()
        self._emit = emit
        self._buffers = {}
        for fd in fds:
            self._buffers[fd] = b""
            self._loop.add_reader(fd, self._on_readable, fd)
        if initial:
            self._lines(initial)

    def _lines(self, data):
        for line in data.decode("utf-8", "replace").splitlines():
            if line.strip():
                self._emit(line.rstrip())

    def _on_readable(self, fd):
        data, eof = _read_available(fd)
        buf = self._buffers.get(fd, b"") + data
        if eof:
            self._lines(buf)
            self._close(fd)
            return
        head, sep, rest = buf.rpartition(b"\n")
        if sep:
            self._lines(head)
        self._buffers[fd] = rest[-65536:]

    def _close(self, fd):
        if fd in self._buffers:
            self._loop.remove_reader(fd)
            del self._buffers[fd]
            os.close(fd)

    @property
    def open(self):
        return bool(self._buffers)

    def close(self):
        for fd in list(self._buffers):
            self._close(fd)


async def _end(proc):
    """End a launcher whose caller was cancelled, and wait until it has.

    SIGTERM (sudo relays it to cgspawn, which dies of it at any step), with
    SIGCONT so a stopped one acts on it (as `cgspawn stop` does); SIGKILL
    after CANCEL_GRACE s. What it left half done, `cgspawn stop` clears (and
    cgspawn's unit lock makes that stop wait for a cgspawn still running)."""
    for sig in (signal.SIGTERM, signal.SIGCONT, signal.SIGKILL):
        try:
            proc.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass  # gone already; or a sudo this hub may not signal
        if sig == signal.SIGCONT:
            try:
                await asyncio.wait_for(proc.wait(), CANCEL_GRACE)
                return
            except asyncio.TimeoutError:
                pass
    await proc.wait()


async def _wait_cancellable(proc, waiting):
    """Await WAITING (the process's wait or I/O). If the caller is cancelled,
    the launcher is ended and waited for first (a second cancellation does
    not stop that: it runs on), then the cancellation goes on."""
    try:
        return await waiting
    except asyncio.CancelledError:
        await asyncio.shield(asyncio.ensure_future(_end(proc)))
        raise


async def run_spawn(argv, *, stdin, what="cgspawn spawn"):
    """Run `cgspawn spawn`; return (stdout, stderr, [read fds still open]).

    Unlike run_launcher this waits for cgspawn to *exit*, not for its
    stdout/stderr to close: a server started with --log-target stderr
    inherits them. What cgspawn wrote is in the pipes when it has exited, so
    it is read then; the fds are returned open (non-blocking) for the caller
    to forward the server's output (OutputForwarder). On failure they are
    closed and LauncherError is raised with cgspawn's error line.
    """
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    read_fds = [out_r, err_r]
    try:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=out_w,
                stderr=err_w,
                env=dict(LAUNCHER_ENV),
                close_fds=True,
            )
        finally:
            os.close(out_w)
            os.close(err_w)
        for fd in read_fds:
            os.set_blocking(fd, False)
        await _wait_cancellable(proc, _feed(proc, stdin))
        returncode = await _wait_cancellable(proc, proc.wait())
    except OSError as e:
        for fd in read_fds:
            os.close(fd)
        raise LauncherError(
            f"{what}: cannot run {argv[0]}: {e.strerror or e}", command=argv[0]
        ) from e
    except BaseException:
        for fd in read_fds:
            os.close(fd)
        raise
    return _spawn_result(argv, what, returncode, out_r, err_r)


async def _feed(proc, data):
    try:
        proc.stdin.write(data)
        await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # cgspawn refused the request before reading it all
    finally:
        proc.stdin.close()


def _failure(argv, what, returncode, err):
    """The LauncherError of a call that exited RETURNCODE: cgspawn's error line."""
    line = error_line(err) or "no message on stderr"
    return LauncherError(
        f"{what} failed: {line} (exit status {returncode})",
        returncode=returncode,
        stderr=err,
        command=argv[0],
    )


def _spawn_result(argv, what, returncode, out_r, err_r):
    """What run_spawn returns once cgspawn has exited, or its LauncherError."""
    out, out_eof = _read_available(out_r)
    err, err_eof = _read_available(err_r)
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    if returncode != 0:
        for fd in (out_r, err_r):
            os.close(fd)
        raise _failure(argv, what, returncode, err)
    still_open = []
    for fd, eof in ((out_r, out_eof), (err_r, err_eof)):
        if eof:
            os.close(fd)
        else:
            still_open.append(fd)
    return out, err, still_open


async def run_launcher(argv, *, stdin=None, what="cgspawn", ok_codes=(0,)):
    """Run argv; return (returncode, stdout, stderr) as text.

    A return code outside ok_codes raises LauncherError whose message carries
    cgspawn's error line. stdin (bytes) is written and closed.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(LAUNCHER_ENV),
            close_fds=True,
        )
    except OSError as e:
        raise LauncherError(
            f"{what}: cannot run {argv[0]}: {e.strerror or e}", command=argv[0]
        ) from e
    out, err = await _wait_cancellable(proc, proc.communicate(stdin))
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    if proc.returncode not in ok_codes:
        raise _failure(argv, what, proc.returncode, err)
    return proc.returncode, out, err


class Cgspawn:
    """cgspawn as a spawner calls it: every call is PREFIX SUBCOMMAND
    ROOT-ARGS ARGS (PREFIX: [sudo -n] the launcher; ROOT-ARGS:
    --cgroup-root D when configured), run with LAUNCHER_ENV, a failure
    raised as LauncherError with cgspawn's error line."""

    def __init__(self, launcher_path, *, sudo=False, cgroup_root=None):
        self.prefix = (["sudo", "-n"] if sudo else []) + [launcher_path]
        self.root_args = ["--cgroup-root", cgroup_root] if cgroup_root else []

    @property
    def through_sudo(self):
        return self.prefix[0] == "sudo"

    @property
    def key(self):
        """Which cgspawn and cgroup root this is (the preflight's cache key)."""
        return (tuple(self.prefix), tuple(self.root_args))

    def argv(self, subcommand, *args):
        return self.prefix + subcommand.split() + self.root_args + list(args)

    async def run(self, subcommand, *args, ok_codes=(0,)):
        """(returncode, stdout, stderr) of `cgspawn SUBCOMMAND ... ARGS`."""
        argv = self.argv(subcommand, *args)
        return await run_launcher(argv, what=f"cgspawn {subcommand}", ok_codes=ok_codes)

    async def spawn(self, args, *, stdin):
        """`cgspawn spawn ... ARGS` with STDIN: see run_spawn."""
        return await run_spawn(self.argv("spawn", *args), stdin=stdin)
