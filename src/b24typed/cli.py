"""The ``b24typed`` command: ``b24typed portal-types ...`` (see :mod:`b24typed.portal_types`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

USAGE = """usage: b24typed COMMAND [options]

commands:
  portal-types   generate (or --check) a typed package from a portal's own descriptions
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["portal-types"]:
        from b24typed.portal_types.cli import main as portal_types

        return portal_types(args[1:])
    print(USAGE, file=sys.stderr if args[:1] not in (["-h"], ["--help"]) else sys.stdout)
    return 0 if args[:1] in (["-h"], ["--help"]) else 2


if __name__ == "__main__":
    sys.exit(main())
