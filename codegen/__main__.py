"""Command line of the b24typed developer tools: ``python -m codegen <command> ...``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Sub-command name -> module. Each module has ``configure(parser)`` and ``run(args) -> int``;
# its docstring's first line is the command's help.
COMMANDS = {
    "import-docs": "codegen.import_docs",
    "import-events": "codegen.import_events",
    "import-openapi": "codegen.import_openapi",
    "report": "codegen.report",
    "generate": "codegen.generate",
    "generate-events": "codegen.generate_events",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else None
        sub = commands.add_parser(name, help=summary, description=module.__doc__)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
