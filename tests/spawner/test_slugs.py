"""Unit names: no two (hub user, server) pairs share one (issue 16), every
pair JupyterHub accepts gets a name the real cgspawn takes, and a template
that could make two pairs meet is refused when the config loads."""

import json
import random
import re

import pytest
from real_cgspawn import run

from cgroupspawner.errors import CgroupSpawnerConfigError
from cgroupspawner.slugs import escape, problem, unit_name

TEMPLATES = [
    "jupyter-{USERNAME}-singleuser",  # the default (SystemdSpawner's)
    "jupyter-{USERNAME}",  # The Littlest JupyterHub's
    "jh-{USERNAME}.{SERVERNAME}",
    "srv-{USERID}-{USERNAME}",
]
# cgroup/names.cpp's rule, restated as the test's own oracle.
VALID = re.compile(r"[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,199}")
INTERFACE = {"cgroup", "cpu", "cpuacct", "cpuset", "memory", "io", "pids", "hugetlb", "rdma",
             "misc", "blkio", "freezer", "irq", "dmem"}


def valid_for_cgspawn(name):
    return bool(VALID.fullmatch(name)) and name.split(".", 1)[0] not in INTERFACE


@pytest.mark.parametrize(
    "template, first, second",
    [
        ("jupyter-{USERNAME}-singleuser", ("a", "b-singleuser"), ("a-singleuser-b", "")),
        ("jupyter-{USERNAME}", ("bob", "x"), ("bob-x", "")),
        ("jupyter-{USERNAME}", ("a_2d", ""), ("a-", "")),  # an escape spelled out
        ("jh-{USERNAME}.{SERVERNAME}", ("a.b", ""), ("a", "b")),
    ],
)
def test_the_pairs_that_collided_get_two_units(make_spawner, template, first, second):
    names = [make_spawner(user, server_name=server, unit_name_template=template).unit_name
             for user, server in (first, second)]
    assert names[0] != names[1], f"{first} and {second} share the unit {names[0]}"


def generated_names(rng, count):
    """Names from every character class JupyterHub lets through: ASCII of
    both cases, the separators and escape character, e-mail punctuation,
    spaces, Latin-1, CJK, emoji; lengths up to 255 (over cgspawn's 200)."""
    classes = ["abcxyz", "ABCXYZ", "0189", "-_.", "@+ ", "_2d_5f", "éüß", "中文", "🙂"]
    names = {"a", "a-", "a_2d", "-a", "cpu", "memory", "x" * 200, "x" * 255, "é" * 100}
    while len(names) < count:
        length = rng.choice([1, 2, 3, 8, 30, 120, 199, 200, 201, 255])
        pool = "".join(rng.sample(classes, rng.randint(1, 4)))
        names.add("".join(rng.choice(pool) for _ in range(length)))
    return sorted(names)


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_mapping_is_injective_over_generated_pairs(template):
    rng = random.Random(16)
    users = generated_names(rng, 120)
    servers = [""] + generated_names(rng, 40)
    seen = {}
    for uid, user in enumerate(users, start=1):
        for server in servers:
            name = unit_name(template, user, uid, server)
            assert valid_for_cgspawn(name), f"{(user, server)} -> {name!r}"
            other = seen.setdefault(name, (user, server))
            assert other == (user, server), f"{other} and {(user, server)} share {name!r}"
    assert len(seen) == len(users) * len(servers)


def test_escaping_keeps_plain_names_and_spells_out_the_rest():
    assert escape("alice42") == "alice42"
    assert escape("ann+test@example.org") == "ann_2btest_40example_2eorg"
    assert escape("Bob") == "_42ob"
    assert escape("é") == "_c3_a9"
    assert escape("a_b") == "a_5fb"


def test_a_long_name_ends_in_a_hash_that_keeps_it_apart():
    one = unit_name(TEMPLATES[0], "u" * 250, 1)
    two = unit_name(TEMPLATES[0], "u" * 251, 2)
    assert len(one) == len(two) == 200
    assert one != two and one[:183] == two[:183]
    assert re.fullmatch(r"jupyter-u{175}@[0-9a-f]{16}", one), one


def test_the_real_cgspawn_takes_every_generated_name():
    """Each name, as `spawn --dry-run --unit NAME` plans it: taken as it is
    (a refused name is a one-line error and no plan)."""
    rng = random.Random(7)
    names = {unit_name(t, u, 1000, s) for t in TEMPLATES
             for u, s in zip(generated_names(rng, 30), [""] + generated_names(rng, 29))}
    for name in sorted(names):
        rc, out, err = run("spawn", "--dry-run", "--unit", name, "--user", "nobody",
                           "--cgroup-root", "/nonexistent/cgspawn-contract-root", "--", "/bin/true")
        assert out, f"cgspawn refused {name!r}: {err}"
        assert json.loads(out)["unit"] == name


@pytest.mark.parametrize(
    "template, says",
    [
        ("{USERNAME}_lab", "'_' right after {USERNAME}"),
        ("jupyter-{USERNAME}0", "'0' right after {USERNAME}"),
        ("jh-{USERNAME}{SERVERNAME}", "{SERVERNAME} right after {USERNAME}"),
        ("jupyter-static", "names no user"),
        ("jupyter@{USERNAME}", "'@'"),
        ("jupyter {USERNAME}", "' '"),
        ("-{USERNAME}", "starts with '-'"),
        ("{USERNAME}.lab", "cgroup file prefix"),
        ("cpu.{USERNAME}", "cgroup file prefix"),
    ],
)
def test_a_template_that_could_join_two_pairs_is_refused_at_load(make_spawner, template, says):
    assert problem(template) is not None and says in problem(template)
    with pytest.raises(CgroupSpawnerConfigError, match=re.escape(says)):
        make_spawner(unit_name_template=template)


@pytest.mark.parametrize("template", TEMPLATES + ["{USERNAME}-lab", "jupyter.{USERNAME}", "Lab{USERNAME}X"])
def test_templates_that_keep_pairs_apart_load(make_spawner, template):
    assert problem(template) is None
    assert make_spawner(unit_name_template=template).unit_name_template == template
