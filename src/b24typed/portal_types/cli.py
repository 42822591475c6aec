"""``b24typed portal-types``: write (or ``--check``) the typed package of a portal.

Credentials come from the environment so that secrets stay out of shell history:
``B24_WEBHOOK_URL`` (or ``--webhook URL``), or for an OAuth application ``--oauth`` with
``B24_DOMAIN``, ``B24_CLIENT_ID``, ``B24_CLIENT_SECRET``, ``B24_ACCESS_TOKEN`` and
``B24_REFRESH_TOKEN`` (``B24_CLIENT_ENDPOINT`` when the REST endpoint is not
``https://DOMAIN/rest/``). Output names the portal's domain, never a secret.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from b24typed.core.errors import B24Error

from .describe import Description, read_portal

__all__ = ["main"]

log = logging.getLogger("b24typed.portal_types")

WEBHOOK_ENV = "B24_WEBHOOK_URL"
OAUTH_ENV = ("B24_DOMAIN", "B24_CLIENT_ID", "B24_CLIENT_SECRET", "B24_ACCESS_TOKEN",
             "B24_REFRESH_TOKEN")  # fmt: skip
ENDPOINT_ENV = "B24_CLIENT_ENDPOINT"  # optional: the REST endpoint, https://DOMAIN/rest/ if unset
DESCRIPTION_FILE = "description.json"


class UsageError(Exception):
    """Bad command-line input; the message says what to change."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="b24typed portal-types",
        description="Generate a typed Python package from a Bitrix24 portal's own field "
        "descriptions (user fields, smart processes, REST 3.0 schemas).",
    )
    add = parser.add_argument
    add("--out", required=True, type=Path, help="package directory (its name: the package's)")
    add("--webhook", metavar="URL", help=f"inbound webhook URL (default: ${WEBHOOK_ENV})")
    add("--oauth", action="store_true", help="use an OAuth application: " + ", ".join(OAUTH_ENV))
    add("--check", action="store_true", help="compare with the portal; exit 1 on drift")
    add("--lang", default="en", help="language of field labels (default: en)")
    add("--rest3", action="append", metavar="PATTERN",
        help="REST 3.0 methods to wrap (glob, repeatable; default: every method with a schema; "
        "'none': no wrappers)")  # fmt: skip
    return parser


def _client(args: argparse.Namespace) -> Any:
    from b24typed import B24Hook, B24OAuth

    if args.oauth:
        missing = [name for name in OAUTH_ENV if not os.environ.get(name)]
        if missing:
            raise UsageError("--oauth needs the environment variables " + ", ".join(missing))
        return B24OAuth(
            client_id=os.environ["B24_CLIENT_ID"],
            client_secret=os.environ["B24_CLIENT_SECRET"],
            tokens={
                "access_token": os.environ["B24_ACCESS_TOKEN"],
                "refresh_token": os.environ["B24_REFRESH_TOKEN"],
                "domain": os.environ["B24_DOMAIN"],
                "client_endpoint": os.environ.get(ENDPOINT_ENV, ""),
            },
        )
    url = args.webhook or os.environ.get(WEBHOOK_ENV)
    if not url:
        raise UsageError(f"give --webhook URL, set ${WEBHOOK_ENV}, or use --oauth")
    try:
        return B24Hook.from_webhook_url(url)
    except ValueError:
        raise UsageError(
            "the webhook URL is not of the form https://HOST/rest/USER/SECRET/"
        ) from None


def _package(out: Path) -> str:
    name = out.resolve().name
    if not name.isidentifier():
        raise UsageError(f"--out must end in a valid package name, not {name!r}")
    return name


def _write(out: Path, files: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for relative, text in sorted(files.items()):
        target = out / relative
        temp = target.with_suffix(target.suffix + ".tmp")
        temp.write_text(text, encoding="utf-8", newline="\n")
        temp.replace(target)


def _check(out: Path, description: Description, package: str) -> int:
    from .check import drift
    from .emit import render

    saved = out / DESCRIPTION_FILE
    if not saved.is_file():
        print(f"{out}: no {DESCRIPTION_FILE}; generate the package first", file=sys.stderr)
        return 2
    old = Description.from_json(saved.read_text(encoding="utf-8"))
    lines = drift(old, description)
    if old.domain != description.domain:
        lines.insert(0, f"~ portal: {old.domain} -> {description.domain}")
    if lines:
        print(f"{description.domain} drifted from {out} ({len(lines)} change(s)):")
        for line in lines:
            print("  " + line)
        print(f"regenerate: b24typed portal-types --out {out}")
        return 1
    stale = [
        path
        for path, text in render(description, package).items()
        if not (out / path).is_file() or (out / path).read_text(encoding="utf-8") != text
    ]
    if stale:
        print(f"{out}: files differ from what this portal generates: {', '.join(stale)}")
        return 1
    print(f"{out} is up to date with {description.domain} ({description.fingerprint()})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        package = _package(args.out)
        patterns: tuple[str, ...] = tuple(args.rest3 or ("*",))
        if patterns == ("none",):
            patterns = ()
        with _client(args) as b24:
            description = read_portal(b24, lang=args.lang, rest3=patterns)
        if args.check:
            return _check(args.out, description, package)
        from . import generate

        files = generate(description, package)
        _write(args.out, files)
    except UsageError as exc:
        print(f"b24typed portal-types: {exc}", file=sys.stderr)
        return 2
    except B24Error as exc:
        print(f"b24typed portal-types: the portal answered with an error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        if exc.name != "jinja2":
            raise
        print("b24typed portal-types needs jinja2: pip install 'b24typed[portal-types]'",
              file=sys.stderr)  # fmt: skip
        return 2
    print(f"wrote {args.out} ({len(files)} files) for {description.domain}, "
          f"{description.fingerprint()}")  # fmt: skip
    return 0
