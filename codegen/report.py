"""``report``: coverage of the committed schemas, per module and in total."""

from __future__ import annotations

import argparse
from pathlib import Path

from codegen import schemafile, typing_report
from codegen.coverage import Tally, tally

SRC = schemafile.REPO_ROOT / "src" / "b24typed"
_HEADER = f"{'module':<28}{'api':>4}{'methods':>9}{'params':>9}{'results':>9}{'examples':>12}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schemas", type=Path, default=schemafile.SCHEMAS, help="schemas folder")
    parser.add_argument("--totals", action="store_true", help="print the totals only")
    parser.add_argument(
        "--types", action="store_true", help="list every Any result, money miss and differing field"
    )
    parser.add_argument(
        "--generated", type=Path, default=SRC, help="generated package root (portal-name check)"
    )


def run(args: argparse.Namespace) -> int:
    documents = [document for _path, document in schemafile.iter_documents(args.schemas)]
    modules, totals = tally(documents)
    if not args.totals:
        print(_HEADER)
        for (module, api), counts in sorted(modules.items()):
            print(_row(module, api, counts))
        print()
    for name, counts in totals.items():
        print(_total(name, counts))
    print()
    figures = typing_report.measure(documents, args.generated)
    print("\n".join(typing_report.lines(figures, details=args.types)))
    return 0


def _row(module: str, api: int, counts: Tally) -> str:
    examples = f"{counts.examples_valid}/{counts.examples}"
    return (
        f"{module:<28}{api:>4}{counts.methods:>9}{counts.params_typed:>9}"
        f"{counts.results_typed:>9}{examples:>12}"
    )


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def _total(name: str, counts: Tally) -> str:
    sources = ", ".join(f"{key} {value}" for key, value in sorted(counts.sources.items()))
    return (
        f"{name}: {counts.methods} methods"
        f" | params typed {counts.params_typed} ({_percent(counts.params_typed, counts.methods)})"
        f" | results typed {counts.results_typed}"
        f" ({_percent(counts.results_typed, counts.methods)})"
        f" | examples valid {counts.examples_valid}/{counts.examples}"
        f" ({_percent(counts.examples_valid, counts.examples)})"
        f" | undocumented {counts.undocumented}"
        f" | result properties by source: {sources}"
    )
