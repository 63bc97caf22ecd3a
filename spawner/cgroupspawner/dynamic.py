"""JupyterHub user names -> dynamic Unix user names for `cgspawn --dynamic-user`.

cgspawn takes 1-32 characters of [A-Za-z0-9_.-] starting with a letter or
"_". JupyterHub names are any Unicode (often e-mail addresses). The mapping
must be injective: two hub users sharing one dynamic name would share a uid,
a home and each other's files.

- A name already of the form [a-z_][a-z0-9_.]{0,31} is kept as it is.
- Otherwise every byte of its UTF-8 outside [a-z0-9_.] (and the first byte
  unless it is [a-z]) becomes "-" and two lowercase hex digits, and a leading
  "-" gets a "_" in front. Such names always contain "-", so they never meet
  a kept one, and "-xx" escapes decode one way only.
- Still over 32 characters: the first 14 of that, "-H" and 16 hex digits of
  the SHA-256 of the hub name. No escape produces "H" (escaped output is
  lowercase), so these never meet an escaped name; two long names meet only
  if 64 bits of SHA-256 collide.
"""

import hashlib
import re

_KEPT = re.compile(r"[a-z_][a-z0-9_.]{0,31}")
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_.")
_FIRST = frozenset(b"abcdefghijklmnopqrstuvwxyz")
MAX = 32


def dynamic_user_name(hub_name):
    if _KEPT.fullmatch(hub_name):
        return hub_name
    out = []
    for i, byte in enumerate(hub_name.encode("utf-8")):
        allowed = _FIRST if i == 0 else _PLAIN
        out.append(chr(byte) if byte in allowed else f"-{byte:02x}")
    name = "".join(out)
    if name.startswith("-"):
        name = "_" + name
    if len(name) > MAX:
        digest = hashlib.sha256(hub_name.encode("utf-8")).hexdigest()[:16]
        name = f"{name[:14]}-H{digest}"
    return name
