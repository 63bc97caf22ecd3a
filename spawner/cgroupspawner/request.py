"""Building a spawn request from the options: the server's user, its
environment and the `cgspawn spawn` arguments (argv.py builds those from
the plain values gathered here). A mixin of CgroupSpawner; nothing here runs
anything."""

import os
import pwd

from .argv import SpawnRequest, spawn_args
from .dynamic import dynamic_user_name
from .errors import CgroupSpawnerConfigError
from .launcher import DEFAULT_PATH, Cgspawn
from .limits import BY_FILE, cpu_weight_for, limit_env
from .ownership import owner_text
from .properties import PROTECT_PROC
from .validation import ValidatedOptions

# What the server's IPython kernels run at start for c.CgroupSpawner.oom_notice
# (in_server/oom_notice.py): a path inside this installed package.
OOM_NOTICE_STARTUP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "in_server", "startup.py")


class DynamicUser:
    """What a spawn request and build_env need of a dynamic user: its name."""

    def __init__(self, name):
        self.pw_name = name
        self.pw_dir = None


class SpawnRequestBuilder(ValidatedOptions):
    def _expand_user_vars(self, string):
        """Expand {USERNAME}, {USERID} and {SERVERNAME}.

        Only these placeholders are replaced; any other braces are left as
        they are (so JSON in args survives).
        """
        return (
            string.replace("{USERNAME}", self.user.name)
            .replace("{USERID}", str(self.user.id))
            .replace("{SERVERNAME}", self.name or "")
        )

    @property
    def _owner(self):
        """This server as cgspawn records its unit's owner (ownership.py)."""
        return owner_text(self.user.name, self.name)

    @property
    def cgspawn(self):
        """The launcher as configured now: every call goes through it."""
        return Cgspawn(self.launcher_path, sudo=self.sudo, cgroup_root=self.cgroup_root)

    def _unix_user(self):
        """The server's user: a passwd entry, or with dynamic_users one with
        the dynamic name and no home (cgspawn allocates both; as in
        SystemdSpawner, username_template and user_workingdir are ignored)."""
        if self.dynamic_users:
            return DynamicUser(dynamic_user_name(self.user.name))
        name = self._expand_user_vars(self.username_template)
        try:
            return pwd.getpwnam(name)
        except KeyError:
            raise CgroupSpawnerConfigError(
                f"No Unix user named {name!r} for JupyterHub user {self.user.name!r}"
                f" (username_template = {self.username_template!r}; or set"
                " c.CgroupSpawner.dynamic_users = True for users without an account)"
            ) from None

    cpu_weight_for = staticmethod(cpu_weight_for)

    def build_env(self, pw):
        """The server's environment: get_env() plus PATH, HOME, USER, SHELL.

        Values set in c.Spawner.environment win over the computed ones.
        """
        env = self.get_env()
        configured = set(self.environment)
        base_path = env.get("PATH") or DEFAULT_PATH
        if self.extra_paths:
            extra = [self._expand_user_vars(p) for p in self.extra_paths]
            env["PATH"] = ":".join(extra + [base_path])
        elif "PATH" not in configured:
            env["PATH"] = base_path
        # A dynamic user's HOME and USER come from cgspawn (--setenv-defaults).
        if "HOME" not in configured and pw.pw_dir is not None:
            env["HOME"] = pw.pw_dir
        if "USER" not in configured and pw.pw_dir is not None:
            env["USER"] = pw.pw_name
        if "SHELL" not in configured:
            env["SHELL"] = self.default_shell
        # MEM_LIMIT/CPU_LIMIT (and the guarantees) come from get_env() as
        # JupyterHub exports them for the options; a limit set instead through
        # unit_extra_properties is exported the same way (limits.limit_env).
        for name, value in limit_env(self._properties()).items():
            if name not in configured:
                env.setdefault(name, value)
        if self.oom_notice:
            env.setdefault("PYTHONSTARTUP", OOM_NOTICE_STARTUP)
        return env

    def _properties(self, drop=()):
        """unit_extra_properties as translate_properties gives them (valid:
        checked at load), {USERNAME}/{USERID} expanded for this server, without
        those of the typed limits in DROP."""
        pairs = self._checked_properties(self.unit_extra_properties, self.limit_values(),
                                         self._expand_user_vars)
        return [(f, v) for f, v in pairs if f not in BY_FILE or BY_FILE[f].option not in drop]

    def _spawn_request(self, pw, drop=()):
        """The spawn as plain values (argv.SpawnRequest); DROP: the options
        to leave out (the preflight's, with require_enforced_limits = False)."""
        expand = self._expand_user_vars
        isolate_devices = self.isolate_devices and "isolate_devices" not in drop
        properties = self._properties(drop)  # translated once, for the limits and ProtectProc

        def paths(option):
            return [] if option in drop else [expand(p) for p in getattr(self, option) or []]

        return SpawnRequest(
            unit=self.unit_name,
            user=pw.pw_name,
            command=[expand(c) for c in self.cmd] + [expand(a) for a in self.get_args()],
            dynamic_user=self.dynamic_users,
            dynamic_user_shell=self.default_shell,
            dynamic_user_range=self.dynamic_user_range,
            dynamic_user_state=self.dynamic_user_state,
            slice=self.slice,
            limits={k: v for k, v in self.limit_values().items() if k not in drop},
            properties=properties,
            private_tmp=self.isolate_tmp and "isolate_tmp" not in drop,
            private_devices=isolate_devices,
            devices=list(self.devices) if isolate_devices else [],
            read_only=paths("readonly_paths"),
            read_write=paths("readwrite_paths"),
            seccomp="none" if "seccomp_profile" in drop else self.seccomp_profile,
            protect_proc=dict(properties).get(PROTECT_PROC, self.protect_proc.lower()),
            cgroup_namespace=self.cgroup_namespace,
            allow_new_privileges=not self.disable_user_sudo or "disable_user_sudo" in drop,
            workdir=None
            if self.user_workingdir is None or self.dynamic_users
            else expand(self.user_workingdir),
            log_target=self.log_target,
            internal_ssl=bool(self.internal_ssl),
            owner=self._owner,
        )

    def build_spawn_argv(self, pw, drop=()):
        """The full `cgspawn spawn ...` argv (without secrets: those go on stdin)."""
        return self.cgspawn.argv("spawn", *spawn_args(self._spawn_request(pw, drop)))

