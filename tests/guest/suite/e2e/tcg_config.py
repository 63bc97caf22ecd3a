# A jupyterhub_config.py fragment for a hub on the emulated guest (qemu TCG,
# ~100x slower than native at fork/exec), loaded with load_subconfig() by the
# E2E hubs (e2e/hub.py) and by the demo when it runs in the guest (demo.sh).
c = get_config()  # noqa: F821

SLOW = 600  # seconds

# JupyterHub 3.0 gives the configurable-http-proxy it starts a hard-coded
# ~11 s to listen (ConfigurableHTTPProxy.start: 10 x wait_up(1)); node needs
# longer here. Let the proxy's Server objects wait patiently instead.
import jupyterhub.proxy as _proxy  # noqa: E402


class _PatientServer(_proxy.Server):
    async def wait_up(self, timeout=10, *args, **kwargs):
        return await super().wait_up(max(timeout, SLOW), *args, **kwargs)


_proxy.Server = _PatientServer

# JupyterHub 5 also bounds that whole wait by a hard-coded 15 s
# (asyncio.wait(..., timeout=15) in ConfigurableHTTPProxy.start); a demo hub
# on a loaded host failed there with "Waiting for proxy endpoints didn't
# complete in 15s". The proxy module alone gets an asyncio whose wait() is
# as patient; its only asyncio.wait is that one.
import asyncio as _asyncio  # noqa: E402


class _PatientAsyncio:
    def __getattr__(self, name):
        return getattr(_asyncio, name)

    @staticmethod
    async def wait(fs, *, timeout=None, return_when=_asyncio.ALL_COMPLETED):
        if timeout is not None:
            timeout = max(timeout, SLOW)
        return await _asyncio.wait(fs, timeout=timeout, return_when=return_when)


_proxy.asyncio = _PatientAsyncio()

c.Spawner.start_timeout = SLOW
c.Spawner.http_timeout = SLOW
# A restarted hub checks its servers before it answers.
c.JupyterHub.init_spawners_timeout = SLOW
