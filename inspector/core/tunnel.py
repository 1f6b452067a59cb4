"""A public URL for the receiver through a tunnel program the user already has on PATH.

Three kinds, each started for the receiver's port:

- ``ngrok`` (v3): ``ngrok http PORT``; the public URL is read from the agent's local API,
  ``GET http://127.0.0.1:4040/api/tunnels`` (``tunnels[].public_url``);
- ``cloudflared``: a quick tunnel, ``cloudflared tunnel --url http://127.0.0.1:PORT``; the URL
  is the ``https://….trycloudflare.com`` line of its log;
- ``ssh``: a reverse tunnel to a service the user names (default ``nokey@localhost.run``), e.g.
  ``ssh -R 80:localhost:PORT nokey@localhost.run``; the URL is the one it prints.

`Tunnel` reports its state as plain `TunnelState` events (starting, up with the URL, died with
the reason, restarting, stopped), starts the program again when it dies (bounded backoff) and
never leaves a process behind: the program runs in its own process group, which is terminated,
then killed.

Requests that came through a tunnel are marked with the source ``tunnel`` (`mark_tunnel`), so
the filter ``source:tunnel`` finds them; their forwarded headers stay as captured.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import time
import urllib.request
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from inspector.core.config import Settings
from inspector.core.models import CapturedRequest
from inspector.core.tasks import TaskGroup

log = logging.getLogger(__name__)

KINDS = ("ngrok", "cloudflared", "ssh")
DEFAULT_SSH_TARGET = "nokey@localhost.run"
DEFAULT_NGROK_API = "http://127.0.0.1:4040"
INSTALL_HINTS = {
    "ngrok": "ngrok: download it from https://ngrok.com/download, then run "
    "`ngrok config add-authtoken <token>` once",
    "cloudflared": "cloudflared: install it from https://developers.cloudflare.com/"
    "cloudflare-one/connections/connect-networks/downloads/ (no account needed)",
    "ssh": "ssh: install the OpenSSH client (e.g. `sudo apt install openssh-client`); "
    "no account needed for nokey@localhost.run",
}
TUNNEL_DOMAINS = (
    "ngrok-free.app", "ngrok-free.dev", "ngrok.app", "ngrok.dev", "ngrok.io",
    "trycloudflare.com", "lhr.life", "localhost.run", "serveo.net",
)  # fmt: skip
"""Domains of the public URLs these tunnels hand out: requests for them came through one."""
_SUFFIXES = tuple("." + domain for domain in TUNNEL_DOMAINS)
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before each restart; the last value repeats. Reset after STABLE seconds up."""
STABLE = 60.0
URL_TIMEOUT = 30.0
"""A tunnel that has shown no public URL after this many seconds is restarted."""
STOP_GRACE = 3.0
"""Seconds between SIGTERM and SIGKILL when stopping."""
TAIL_LINES = 20

STARTING, UP, DIED, RESTARTING, STOPPED = "starting", "up", "died", "restarting", "stopped"

_CLOUDFLARE_URL = re.compile(r"https://([a-z0-9-]+)\.trycloudflare\.com\b")
_HTTPS_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d+)?")
_SSH_URL_HINTS = ("tunneled with tls termination", "forwarding http traffic from")


@dataclass(frozen=True, slots=True)
class TunnelState:
    """What a tunnel is doing. `url` is set while up; `reason` says why it died or stopped."""

    kind: str
    state: str
    url: str | None = None
    reason: str = ""
    restarts: int = 0
    retry_in: float | None = None

    @property
    def text(self) -> str:
        """One line for a status bar or a terminal."""
        if self.state == UP:
            return f"{self.kind} tunnel up: {self.url}"
        if self.state == RESTARTING:
            return f"{self.kind} tunnel died ({self.reason}); restarting in {self.retry_in:g} s"
        if self.state in (DIED, STOPPED) and self.reason:
            return f"{self.kind} tunnel {self.state}: {self.reason}"
        return f"{self.kind} tunnel {self.state}"


@dataclass(frozen=True, slots=True)
class TunnelSpec:
    kind: str
    port: int
    ssh_target: str = DEFAULT_SSH_TARGET
    ngrok_api: str = DEFAULT_NGROK_API
    """Where ngrok's local agent API listens (tests point it at a stand-in)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown tunnel {self.kind!r} (one of {', '.join(KINDS)})")
        target = self.ssh_target
        if not target or target.startswith("-") or any(c.isspace() for c in target):
            raise ValueError(f"expected USER@HOST for the ssh tunnel (got {target!r})")


# --- what is installed, what to run ------------------------------------------------------------


def available(path: str | None = None) -> list[str]:
    """The tunnel kinds whose program is on PATH."""
    return [kind for kind in KINDS if shutil.which(kind, path=path)]


def install_hints(kinds: Sequence[str] = KINDS) -> list[str]:
    """How to install each of `kinds`, one line each."""
    return [INSTALL_HINTS[kind] for kind in kinds]


def missing_text(kind: str) -> str:
    """The error for a tunnel program that is not installed."""
    return f"{kind} is not on PATH. Install one of these:\n" + "\n".join(
        f"  - {line}" for line in install_hints()
    )


def command(spec: TunnelSpec) -> list[str]:
    if spec.kind == "ngrok":
        return ["ngrok", "http", str(spec.port), "--log", "stdout", "--log-format", "logfmt"]
    if spec.kind == "cloudflared":
        return ["cloudflared", "tunnel", "--url", f"http://127.0.0.1:{spec.port}"]
    return [
        "ssh", "-T", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
        "-o", "ServerAliveInterval=30", "-o", "StrictHostKeyChecking=accept-new",
        "-R", f"80:localhost:{spec.port}", spec.ssh_target,
    ]  # fmt: skip


def url_in_line(kind: str, line: str) -> str | None:
    """The public URL announced by one output line of cloudflared or ssh, if any."""
    if kind == "cloudflared":
        match = _CLOUDFLARE_URL.search(line)
        return match.group(0) if match and match.group(1) != "api" else None
    if kind == "ssh" and any(hint in line.lower() for hint in _SSH_URL_HINTS):
        urls = _HTTPS_URL.findall(line)
        return urls[-1] if urls else None
    return None


def ngrok_url(payload: object, port: int) -> str | None:
    """The https public URL of the tunnel to `port` in ngrok's ``/api/tunnels`` answer. Only
    a tunnel for our port counts: another ngrok agent may own the API address."""
    tunnels = payload.get("tunnels") if isinstance(payload, dict) else None
    for tunnel in tunnels if isinstance(tunnels, list) else ():
        if not isinstance(tunnel, dict):
            continue
        url = tunnel.get("public_url")
        config = tunnel.get("config")
        addr = str(config.get("addr", "")) if isinstance(config, dict) else ""
        ours = addr.endswith(f":{port}") or addr == str(port)
        if ours and isinstance(url, str) and url.startswith("https://"):
            return url
    return None


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""The agent API is local: never through a proxy from the environment."""


def fetch_ngrok_url(api: str, port: int, timeout: float = 2.0) -> str | None:
    """Ask ngrok's agent API for the public URL (None when it does not answer yet)."""
    try:
        with _DIRECT.open(api.rstrip("/") + "/api/tunnels", timeout=timeout) as answer:
            return ngrok_url(json.loads(answer.read(1024 * 1024)), port)
    except (OSError, ValueError):
        return None


# --- marking requests ---------------------------------------------------------------------------


def public_host(url: str | None) -> str | None:
    """The host name of a public URL (lower case), or None."""
    if not url:
        return None
    try:
        return (urlsplit(url).hostname or "").lower() or None
    except ValueError:
        return None


def _bare_host(value: str) -> str:
    value = value.split(",", 1)[0].strip().lower()
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def through_tunnel(request: CapturedRequest, hosts: Sequence[str] = ()) -> bool:
    """Whether the request was addressed to a tunnel's public host (its Host header, or the
    X-Forwarded-Host a tunnel adds), either a running tunnel's or a known tunnel domain."""
    for name in ("host", "x-forwarded-host"):
        value = request.header(name)
        if not value:
            continue
        host = _bare_host(value)
        if host in hosts or host.endswith(_SUFFIXES):
            return True
    return False


def mark_tunnel(request: CapturedRequest, hosts: Sequence[str] = ()) -> CapturedRequest:
    """The request with source ``tunnel`` when it came through one (headers untouched)."""
    if request.source == "http" and through_tunnel(request, hosts):
        return replace(request, source="tunnel")
    return request


# --- the running tunnel -------------------------------------------------------------------------

_LIVE: weakref.WeakSet[Tunnel] = weakref.WeakSet()


@atexit.register
def _kill_all() -> None:  # the last line of defence: no tunnel outlives the process
    for tunnel in list(_LIVE):
        tunnel.kill_now()


class Tunnel:
    """Runs one tunnel program and keeps it running until `stop()`.

    `on_state` is called with every `TunnelState`, on the loop that called `start()`."""

    def __init__(
        self,
        spec: TunnelSpec,
        on_state: Callable[[TunnelState], None],
        *,
        backoff: Sequence[float] = BACKOFF,
        url_timeout: float = URL_TIMEOUT,
        poll: float = 0.2,
    ) -> None:
        self.spec = spec
        self.state = TunnelState(spec.kind, STOPPED)
        self._on_state = on_state
        self._backoff = tuple(backoff)
        self._url_timeout = url_timeout
        self._poll = poll
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks = TaskGroup()
        self._stopping = False
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)

    @property
    def url(self) -> str | None:
        return self.state.url if self.state.state == UP else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the program (on the running loop). Raises FileNotFoundError with install
        hints when it is not on PATH."""
        if shutil.which(self.spec.kind) is None:
            raise FileNotFoundError(missing_text(self.spec.kind))
        self._stopping = False
        _LIVE.add(self)
        self._task = self._tasks.spawn(self._supervise(), name=f"tunnel-{self.spec.kind}")

    async def stop(self) -> None:
        """Stop the program and wait for it; reports `stopped`."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._tasks.close()
        await self._end_process()
        _LIVE.discard(self)
        if self.state.state != STOPPED:
            self._set(TunnelState(self.spec.kind, STOPPED, reason="stopped"))

    def kill_now(self) -> None:
        """Kill the process group at once, from any thread (for shutdown paths)."""
        process = self._process
        if process is not None and process.returncode is None:
            _signal_group(process.pid, signal.SIGKILL)

    # internals

    def _set(self, state: TunnelState) -> None:
        self.state = state
        log.info("%s", state.text)
        try:
            self._on_state(state)
        except Exception:  # a listener's bug must not stop the supervision
            log.exception("tunnel state listener failed")

    async def _supervise(self) -> None:
        failures = 0
        while not self._stopping:
            state = STARTING if failures == 0 else RESTARTING
            if state == STARTING:
                self._set(TunnelState(self.spec.kind, STARTING, restarts=failures))
            started = time.monotonic()
            reason = await self._run_once(failures)
            if self._stopping:
                break
            failures = 1 if time.monotonic() - started > STABLE else failures + 1
            delay = self._backoff[min(failures - 1, len(self._backoff) - 1)]
            self._set(TunnelState(self.spec.kind, DIED, reason=reason, restarts=failures))
            self._set(TunnelState(self.spec.kind, RESTARTING, reason=reason,
                                  restarts=failures, retry_in=delay))  # fmt: skip
            await asyncio.sleep(delay)

    async def _run_once(self, restarts: int) -> str:
        """Run the program once; returns why it ended."""
        self._tail.clear()
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command(self.spec), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # its own process group: we can end all of it
            )  # fmt: skip
        except OSError as exc:
            return f"cannot start {self.spec.kind}: {exc.strerror or exc}"
        found: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        reader = self._tasks.spawn(self._read_output(found))
        poller = self._tasks.spawn(self._poll_ngrok(found)) if self.spec.kind == "ngrok" else None
        try:
            return await self._wait_up_then_exit(found, restarts)
        finally:
            for task in (reader, poller):
                if task is not None:
                    task.cancel()
            await self._end_process()

    async def _wait_up_then_exit(self, found: asyncio.Future[str], restarts: int) -> str:
        assert self._process is not None
        exited = self._tasks.spawn(self._process.wait())
        waiting: set[asyncio.Future[Any]] = {found, exited}
        done, _ = await asyncio.wait(waiting, timeout=self._url_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        if found in done:
            self._set(TunnelState(self.spec.kind, UP, url=found.result(), restarts=restarts))
            await exited
        elif exited not in done:
            exited.cancel()
            return f"no public URL after {self._url_timeout:g} s{self._last_words()}"
        found.cancel()
        return f"exited with status {self._process.returncode}{self._last_words()}"

    def _last_words(self) -> str:
        lines = [line for line in self._tail if line.strip()]
        return f": {lines[-1].strip()}" if lines else ""

    async def _read_output(self, found: asyncio.Future[str]) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        async for raw in self._process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            self._tail.append(line)
            url = url_in_line(self.spec.kind, line)
            if url and not found.done():
                found.set_result(url)

    async def _poll_ngrok(self, found: asyncio.Future[str]) -> None:
        loop = asyncio.get_running_loop()
        while not found.done():
            url = await loop.run_in_executor(
                None, fetch_ngrok_url, self.spec.ngrok_api, self.spec.port
            )
            if url and not found.done():
                found.set_result(url)
            await asyncio.sleep(self._poll)

    async def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE)
            except TimeoutError:
                _signal_group(process.pid, signal.SIGKILL)
                await process.wait()
        else:  # the leader is gone; children it left in the group go too
            _signal_group(process.pid, signal.SIGKILL)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class TunnelService(Protocol):
    """What `ServiceTunnel` needs of a service (InspectorService or RemoteService)."""

    @property
    def settings(self) -> Settings: ...

    async def update_settings(self, settings: Settings) -> None: ...


class ServiceTunnel:
    """A tunnel for a running service's receiver: while up, the receiver knows the tunnel's
    public host (`Settings.tunnel_hosts`), so requests through it get the source ``tunnel``.

    `report` gets every state, on the service's loop."""

    def __init__(
        self, service: TunnelService, spec: TunnelSpec, report: Callable[[TunnelState], None],
        **options: Any,
    ) -> None:  # fmt: skip
        self.service = service
        self.tunnel = Tunnel(spec, self._on_state, **options)
        self._report = report
        self._tasks = TaskGroup()

    def start(self) -> None:
        """Start on the running loop; FileNotFoundError (with install hints) when missing."""
        self.tunnel.start()

    async def stop(self) -> None:
        await self.tunnel.stop()
        await self._tasks.close()
        await self._set_host(None)

    def _on_state(self, state: TunnelState) -> None:
        if state.state in (UP, DIED):
            self._tasks.spawn(self._set_host(public_host(state.url)))
        self._report(state)

    async def _set_host(self, host: str | None) -> None:
        hosts = (host,) if host else ()
        if self.service.settings.tunnel_hosts != hosts:
            await self.service.update_settings(replace(self.service.settings, tunnel_hosts=hosts))
