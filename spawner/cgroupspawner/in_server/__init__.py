"""What runs inside a user's server, not in the hub: the out-of-memory
notice of the IPython kernels (oom_notice.py, loaded by startup.py).

Stdlib only, with relative imports inside this folder only: a kernel loads
it by path (startup.py), with whatever Python the server runs, without
importing the spawner or JupyterHub.
"""
