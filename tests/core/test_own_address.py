from __future__ import annotations

import pytest

from inspector.core.own_address import is_own_address, normal, reaches


@pytest.mark.parametrize(
    ("host", "bound", "own"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("0.0.0.0", "127.0.0.1", True),
        ("::ffff:127.0.0.1", "127.0.0.1", True),
        ("0x7f000001", "127.0.0.1", True),
        ("127.0.1.1", "127.0.0.1", True),
        ("localhost", "127.0.0.1", True),
        ("127.0.0.1", "0.0.0.0", True),
        ("::1", "::1", True),
        ("192.0.2.1", "127.0.0.1", False),  # TEST-NET: resolved and compared, never contacted
        ("192.0.2.1", "0.0.0.0", False),  # not an address of this machine (bind fails)
        ("no-such-host.invalid", "127.0.0.1", False),
    ],
)
async def test_is_own_address_decides_by_resolved_address(host: str, bound: str, own: bool) -> None:
    assert await is_own_address(host, 8080, bound, 8080) is own


async def test_another_port_is_never_us() -> None:
    assert not await is_own_address("127.0.0.1", 8081, "127.0.0.1", 8080)


def test_normal_unwraps_ipv4_mapped_addresses() -> None:
    assert str(normal("::ffff:127.0.0.1")) == "127.0.0.1"
    assert reaches(normal("::"), normal("::1"))
