"""Reaching the receiver from gateways that run in Docker on the same machine.

A container cannot reach the host's 127.0.0.1. Two ways in, both explicit:

- ``http://host.docker.internal:PORT/…``: Docker Desktop provides that name; on Linux the
  container needs ``--add-host=host.docker.internal:host-gateway`` (compose: ``extra_hosts``),
  which points it at the host's Docker bridge address;
- the bridge address itself (the ``docker0`` interface, usually 172.17.0.1).

Either way, on Linux the receiver must also listen on the bridge address. That is a switch the
user turns on ("also listen on the Docker bridge"): it adds that one address to
``Settings.also_listen``; the receiver never binds 0.0.0.0 on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import ipaddress
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

BRIDGE_INTERFACE = "docker0"
HOST_NAME = "host.docker.internal"
ADD_HOST = "--add-host=host.docker.internal:host-gateway"
COMPOSE_EXTRA_HOSTS = 'extra_hosts:\n  - "host.docker.internal:host-gateway"'
_SIOCGIFADDR = 0x8915
WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def interface_ipv4(name: str) -> str | None:
    """The IPv4 address of a network interface (Linux), or None when there is none."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        packed = struct.pack("256s", name.encode()[:15])
        answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, packed)
        return socket.inet_ntoa(answer[20:24])
    return None


def bridge_address(lookup: Callable[[str], str | None] = interface_ipv4) -> str | None:
    """The Docker bridge address of this machine (docker0), or None."""
    return lookup(BRIDGE_INTERFACE)


@dataclass(frozen=True, slots=True)
class BindDecision:
    """What the receiver listens on besides its main address, and what to tell the user."""

    addresses: tuple[str, ...]
    message: str


def bind_decision(main_host: str, also_bridge: bool, bridge: str | None) -> BindDecision:
    """The extra address for the "also listen on the Docker bridge" switch: the bridge's one
    address, nothing when the switch is off, and never a wildcard."""
    if not also_bridge:
        return BindDecision((), "")
    if bridge is None:
        return BindDecision((), (
            f"no {BRIDGE_INTERFACE} interface on this machine, so nothing more to listen on "
            f"(Docker Desktop: {HOST_NAME} already reaches this computer's 127.0.0.1)"
        ))  # fmt: skip
    if bridge in WILDCARDS or not _is_ip(bridge):
        return BindDecision((), f"refusing to listen on {bridge!r}: not one bridge address")
    if bridge == main_host:
        return BindDecision((), f"the receiver already listens on {bridge}")
    return BindDecision((bridge,), f"also listening on {bridge} (the Docker bridge)")


def container_urls(port: int, path: str, bridge: str | None) -> list[tuple[str, str]]:
    """(label, URL) a container can use to reach the receiver."""
    urls = [(f"{HOST_NAME} (run the container with {ADD_HOST} on Linux)",
             f"http://{HOST_NAME}:{port}{path}")]  # fmt: skip
    if bridge:
        urls.append(
            (f"Docker bridge address ({BRIDGE_INTERFACE})", f"http://{bridge}:{port}{path}")
        )
    return urls


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


Bind = Callable[[str], Awaitable[asyncio.Server]]
"""Starts the receiver's own server on one address (its port, its protocol)."""


async def listen_also(bind: Bind, addresses: Sequence[str]) -> list[asyncio.Server]:
    """Also serve on each address with `bind`; wildcards are skipped. An address that cannot be
    bound is logged, not fatal. Returns the servers started."""
    servers = []
    for address in addresses:
        if address in WILDCARDS:
            log.warning("not listening on %r: wildcard addresses are refused", address)
            continue
        try:
            servers.append(await bind(address))
        except OSError as exc:
            log.warning("cannot also listen on %s: %s", address, exc.strerror or exc)
    return servers
