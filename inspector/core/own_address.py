"""Is a URL's host and port this receiver itself? Decided by resolved address, not spelling.

`0.0.0.0`, `[::ffff:127.0.0.1]`, `0x7f000001`, `127.1` and this machine's own host name all
reach a receiver listening on 127.0.0.1 (or on every address): forwarding to any of them would
forward every request to itself forever. The check resolves the name (no packet is sent) and
compares addresses; when we listen on every address, an address counts as ours when a socket
can be bound to it (again without sending anything).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


async def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (numeric spellings included). Raises OSError."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def normal(address: str) -> Address:
    """The address as ipaddress sees it, an IPv4-mapped IPv6 address as IPv4, no scope id."""
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def is_local(address: Address) -> bool:
    """An address of one of this machine's interfaces (binding to it succeeds)."""
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((str(address), 0))
        return True
    return False


def reaches(target: Address, bound: Address) -> bool:
    """Would a connection to `target` reach a socket listening on `bound` (same port)?"""
    if target == bound:
        return True
    if bound.is_unspecified:  # listening everywhere: any address of this machine is us
        return target.is_loopback or target.is_unspecified or is_local(target)
    # connecting to 0.0.0.0 (or ::) reaches loopback; 127.0.0.0/8 all reach a loopback socket
    return bound.is_loopback and (target.is_loopback or target.is_unspecified)


async def is_own_address(host: str, port: int, bound_host: str, bound_port: int) -> bool:
    """Does http://host:port/ reach the receiver listening on bound_host:bound_port?
    A host that cannot be resolved is not us (sending to it will say why it failed)."""
    if port != bound_port:
        return False
    try:
        targets = [normal(a) for a in await resolve(host, port)]
        bound = [normal(a) for a in await resolve(bound_host, bound_port)]
    except (OSError, ValueError):
        return False
    return any(reaches(t, b) for t in targets for b in bound)
