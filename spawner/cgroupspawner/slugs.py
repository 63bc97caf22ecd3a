"""(hub user, server name) -> unit name, with no two pairs on one name.

cgspawn takes unit names of 1-200 characters from [A-Za-z0-9_.@-]. JupyterHub
user names are any Unicode (often e-mail addresses) and server names anything
but "/". Two pairs sharing a unit would share a cgroup, and each spawner would
stop the other's server as a "lost" unit, so the mapping must be injective:

- A value ({USERNAME}, {SERVERNAME}) keeps [a-z0-9]; every other byte of its
  UTF-8 becomes "_" and two lowercase hex digits ("a-b" -> "a_2db"). This is a
  prefix code, so it decodes one way only, and escaped values hold only
  [a-z0-9_] (call it A). {USERID} is digits, also in A.
- The template's text right after a placeholder must start outside A ("-",
  ".", or an upper-case letter), so a name splits back into its values one
  way only: each value is the longest run of A where it starts. `problem()`
  refuses other templates when the config loads.
- A named server without {SERVERNAME} in the template gets "-" and the
  escaped server name appended; "-" is outside A, and named servers have
  non-empty names, so the default server's name is never a named one's.
- A name over 200 characters becomes its first 183 characters, "@" and 16 hex
  digits of the SHA-256 of the whole name. Neither the template ("@" is
  refused there) nor an escaped value contains "@", so these never meet a
  short name; two long names meet only if 64 bits of SHA-256 collide.

Prior art: DockerSpawner's escapism (escape character and safe set) and
KubeSpawner's slugs.py (a hash where a name is too long).
"""

import hashlib
import re

MAX = 200  # cgspawn's limit for a unit name
_KEPT = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_VALUE_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"  # A: what an escaped value holds
_PLACEHOLDER = re.compile(r"\{(USERNAME|USERID|SERVERNAME)\}")
_LITERAL = re.compile(r"[A-Za-z0-9_.-]*")
_HASH_MARK = "@"
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
# cgroup/names.cpp's interface prefixes, all of [a-z]: a name "cpu.x" is refused.
_INTERFACE_PREFIXES = frozenset(
    "cgroup cpu cpuacct cpuset memory io pids hugetlb rdma misc blkio freezer irq dmem".split()
)


def escape(value):
    """VALUE with every UTF-8 byte outside [a-z0-9] as "_" + 2 hex digits."""
    return "".join(chr(b) if b in _KEPT else f"_{b:02x}" for b in value.encode("utf-8"))


def problem(template):
    """Why TEMPLATE cannot name units injectively, or None."""
    parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    literals, names = parts[0::2], parts[1::2]
    if not {"USERNAME", "USERID"} & set(names):
        return "names no user: put {USERNAME} in it (e.g. jupyter-{USERNAME}-singleuser)"
    bad = sorted({c for lit in literals for c in lit if not _LITERAL.fullmatch(c)})
    if bad:
        return f"has {''.join(bad)!r}: besides the placeholders, use only A-Z a-z 0-9 _ . -"
    if template.startswith("-"):
        return "starts with '-': cgspawn refuses such names (it would read them as an option)"
    for i, name in enumerate(names):
        after = literals[i + 1]
        if not after and i + 1 < len(names):
            return f"has {{{names[i + 1]}}} right after {{{name}}}: put '-' or '.' between them"
        if after and after[0] in _VALUE_CHARS:
            return (
                f"has {after[0]!r} right after {{{name}}}: escaped names hold a-z 0-9 _, so "
                f"two users could share a name; put '-' or '.' after {{{name}}}"
            )
    return _interface_problem(template)


def _interface_problem(template):
    """cgspawn refuses a name whose text before its first "." is a cgroup
    interface prefix (cpu.x, memory.x): no value may be able to make it one."""
    if "." not in template:
        return None
    head = template.split(".", 1)[0]
    literal = _PLACEHOLDER.sub("", head)
    if literal == head and literal not in _INTERFACE_PREFIXES:
        return None
    if literal != head and any(c not in _LOWER for c in literal):
        return None
    return (
        f"lets the text before its first '.' be a cgroup file prefix (e.g. cpu.): start it "
        f"with text such as 'jupyter-'"
    )


def unit_name(template, username, userid, servername=""):
    """The unit of (USERNAME, SERVERNAME) by TEMPLATE (which passed problem())."""
    values = {"USERNAME": escape(username), "USERID": str(userid), "SERVERNAME": escape(servername)}
    name = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    if servername and "{SERVERNAME}" not in template:
        name = f"{name}-{values['SERVERNAME']}"
    if len(name) > MAX:
        digest = hashlib.sha256(name.encode("ascii")).hexdigest()[:16]
        name = f"{name[: MAX - 1 - len(digest)]}{_HASH_MARK}{digest}"
    return name
