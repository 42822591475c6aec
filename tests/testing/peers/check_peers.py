"""Point other Bitrix24 clients at the loopback portal and check they list, batch and fail as
they do against a real portal. Not collected by pytest: the peers live outside this project.

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install fast-bitrix24 b24pysdk
    mkdir /tmp/jspeer && (cd /tmp/jspeer && npm init -y && npm install @bitrix24/b24jssdk)
    .venv/bin/python tests/testing/peers/check_peers.py --python /tmp/peers/bin/python \\
        --node-dir /tmp/jspeer

b24pysdk and the JS SDK insist on https, so the portal serves a throwaway self-signed
certificate (made with the ``openssl`` command) and the peers trust it through
``REQUESTS_CA_BUNDLE`` / ``NODE_EXTRA_CA_CERTS``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from b24typed.testing import FakePortal

HERE = Path(__file__).parent
DEALS, TASKS = 3000, 130


def _run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> dict[str, Any]:
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[1]} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", help="interpreter with fast-bitrix24 and b24pysdk")
    parser.add_argument("--node-dir", help="folder whose node_modules has @bitrix24/b24jssdk")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="b24-peers-"))
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(cert), "SSL_CERT_FILE": str(cert),
           "NODE_EXTRA_CA_CERTS": str(cert)}  # fmt: skip
    failures: list[str] = []

    def check(name: str, got: dict[str, Any], expected: dict[str, Any]) -> None:
        print(name, json.dumps(got))
        failures.extend(
            f"{name}.{k}: {got.get(k)!r} != {v!r}" for k, v in expected.items() if got.get(k) != v
        )

    def portal() -> FakePortal:
        p = FakePortal(seed=0)
        p.crm.seed_deals(DEALS)
        p.tasks.seed(TASKS)
        return p

    if args.python:
        p = portal()
        with p.serve() as base:
            got = _run([args.python, str(HERE / "fast_bitrix24_peer.py"),
                        p.serve_webhook_url(base)], env)  # fmt: skip
        check("fast_bitrix24", got, {"get_all_deals": DEALS, "get_all_items": DEALS,
                                     "get_by_id": 3, "add_120": 120, "batch_ref": "1",
                                     "error": "ErrorInServerResponseException"})  # fmt: skip
        p = portal()
        with p.serve(ssl_context=context) as base:
            got = _run(
                [args.python, str(HERE / "b24pysdk_peer.py"), p.serve_webhook_url(base)], env
            )
        check("b24pysdk", got, {"as_list_deals": DEALS, "as_list_fast_items": DEALS,
                                "item_add": DEALS + 1, "batch_keys": ["a", "b"],
                                "error": "NOT_FOUND"})  # fmt: skip
    if args.node_dir and shutil.which("node"):
        script = Path(args.node_dir) / "b24jssdk_peer.mjs"
        shutil.copy(HERE / "b24jssdk_peer.mjs", script)
        p = portal()
        with p.serve(ssl_context=context) as base:
            got = _run(["node", str(script), p.serve_webhook_url(base)], env, cwd=script.parent)
        check("b24jssdk", got, {"v2Items": DEALS, "v2Deals": DEALS, "v2Tasks": TASKS,
                                "v3Tasks": TASKS, "v2BatchErrors": 1, "v3Batch": 2,
                                "error": "NOT_FOUND"})  # fmt: skip
    for failure in failures:
        print("FAIL", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
