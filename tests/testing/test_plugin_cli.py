"""The pytest plugin's fixtures and the ``python -m b24typed.testing serve`` command."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from b24typed.testing import FakePortal


def test_b24_portal_fixture_is_fresh(b24_portal: FakePortal, b24_http: httpx.Client) -> None:
    assert len(b24_portal.crm.table(2)) == 0
    b24_portal.crm.seed_deals(3)
    resp = b24_http.post(b24_portal.webhook_url + "crm.deal.list")
    assert resp.json()["total"] == 3


@pytest.mark.anyio
async def test_b24_async_http_fixture(
    b24_portal: FakePortal, b24_async_http: httpx.AsyncClient
) -> None:
    resp = await b24_async_http.post(b24_portal.webhook_url + "server.time")
    assert resp.status_code == 200


def test_import_is_light() -> None:
    code = "import sys, b24typed.testing; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_serves_a_seeded_portal() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "b24typed.testing", "serve", "--port", "0", "--seed-deals", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/rest/1/" in url
        deadline = time.monotonic() + 10
        while True:
            try:
                resp = httpx.post(url + "crm.deal.list", json={"start": -1})
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert len(resp.json()["result"]) == 50
        assert httpx.post(url + "crm.deal.list").json()["total"] == 120
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_loopback_https(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    portal = FakePortal()
    with (
        portal.serve(ssl_context=context) as base,
        httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as client,
    ):
        assert base.startswith("https://127.0.0.1:")
        resp = client.post(portal.serve_webhook_url(base) + "server.time")
        assert resp.status_code == 200


def test_b24_client_fixture(b24_portal: FakePortal, b24_client: Any) -> None:
    b24_portal.crm.seed_deals(120)
    assert len(b24_client.call_list_method("crm.deal.list", {"select": ["ID"]})) == 120


@pytest.mark.anyio
async def test_async_b24_client_fixture(b24_portal: FakePortal, async_b24_client: Any) -> None:
    b24_portal.tasks.seed(2)
    got = await async_b24_client.call(3, "tasks.task.get", {"id": 2})
    assert got.is_success
