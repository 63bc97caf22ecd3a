"""PYTHONSTARTUP of the servers CgroupSpawner starts (c.CgroupSpawner.
oom_notice): IPython kernels run this file at start, as they do for any
PYTHONSTARTUP. It loads oom_notice.py from this folder by path, under a
private name, so it works with whatever Python the server runs and imports
neither the spawner nor JupyterHub.

It runs in the user's namespace: it defines one name, deletes it, and never
raises (a kernel must start whatever happens here).
"""


def _cgroupspawner_oom_notice():
    import importlib.util
    import os
    import sys

    try:
        here = os.path.dirname(os.path.abspath(os.environ["PYTHONSTARTUP"]))
        name = "_cgroupspawner_in_server"
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(here, "__init__.py"), submodule_search_locations=[here])
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
        importlib.import_module(name + ".oom_notice").start()
    except Exception as e:  # noqa: BLE001 - the kernel starts regardless
        print(f"cgroupspawner: the out-of-memory notice is off in this kernel: {e!r}",
              file=sys.__stderr__)


_cgroupspawner_oom_notice()
del _cgroupspawner_oom_notice
