"""The benchmark inside the guest: runs the parts named in
/payload/bench-config.json, writes results/bench.json after each (a part that
fails records its error and the others still run), prints the table."""
import json
import os
import platform
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import hub_latency  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
import spawn_cost  # noqa: E402
from common import RESULTS, cgspawn_processes, log  # noqa: E402


def first_line(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return None


def meminfo_mib():
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1]) // 1024


def main():
    with open("/payload/bench-config.json") as f:
        config = json.load(f)
    out = {
        "meta": {
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "host": config.get("host", {}),
            "guest": {
                "kernel": platform.release(),
                "cpus": os.cpu_count(),
                "memory_mib": meminfo_mib(),
                "systemd": first_line(["systemctl", "--version"]),
                "jupyterhub": first_line(["/usr/bin/jupyterhub", "--version"]),
            },
            "quick": config["quick"],
        }
    }
    path = os.path.join(RESULTS, "bench.json")
    parts = {
        "spawn_cost": lambda: spawn_cost.run(config["n"]),
        "scale": lambda: scale.run(config["servers"]),
        "hub": lambda: hub_latency.run(config["hub_servers"]),
    }
    for name in config.get("parts", list(parts)):
        log(f"part {name} starts")
        t = time.monotonic()
        try:
            out[name] = parts[name]()
        except Exception:  # noqa: BLE001 - recorded, and the next part still runs
            out[name] = {"error": traceback.format_exc()}
            log(f"part {name} FAILED:\n{out[name]['error']}")
        out[name]["part_seconds"] = time.monotonic() - t
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
        # On the console as it goes: a run cut short still shows its figures.
        log(f"part {name} done; results so far:\n{report.render(out)}")
    out["cgspawn_resident_at_end"] = len(cgspawn_processes())
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(report.render(out), flush=True)
    return 1 if any("error" in out.get(p, {}) for p in parts) else 0


if __name__ == "__main__":
    sys.exit(main())
