"""A real redis-server per test module, on a free loopback port (installed by `make test`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from b24typed.testing.redis_server import RedisServer, RedisServerMissing


def _server() -> RedisServer:
    try:
        return RedisServer()
    except RedisServerMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI must run the Redis tests)")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A Redis shared by the tests of a module (each test uses its own key prefix)."""
    with _server() as server:
        yield server.url


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of the test's own, which it may stop and restart."""
    with _server() as server:
        yield server
