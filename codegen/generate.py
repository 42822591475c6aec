"""``generate``: write typed wrappers and models (src/b24typed/methods, models) from schemas/."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codegen import schemafile
from codegen.generator.emit import render

SRC = schemafile.REPO_ROOT / "src" / "b24typed"
PACKAGES = ("methods", "models")
PYPROJECT = schemafile.REPO_ROOT / "pyproject.toml"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schemas", type=Path, default=schemafile.SCHEMAS, help="schemas folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=SRC,
        help="folder that receives methods/ and models/ (default: src/b24typed)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the output would change"
    )


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="b24typed-gen-") as tmp:
        staging = Path(tmp)
        counts = generate_into(args.schemas, staging)
        changed = diff_trees(staging, args.out)
        if args.check:
            for path in changed:
                print(f"would change: {path}")
            return 1 if changed else 0
        sync_trees(staging, args.out)
    lines = sum(
        len(p.read_text(encoding="utf-8").splitlines())
        for package in PACKAGES
        for p in (args.out / package).rglob("*.py")
    )
    print(
        f"generated {counts['methods']} methods, {counts['models']} models, "
        f"{counts['typeddicts']} TypedDicts, {counts['aliases']} aliases; "
        f"{counts['files']} files, {lines} lines; {len(changed)} files changed "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0


def generate_into(schemas: Path, out: Path) -> dict[str, int]:
    """Render every file into ``out/methods`` and ``out/models`` and format it with ruff."""
    documents = [document for _path, document in schemafile.iter_documents(schemas)]
    files, counts = render(documents, schemafile.iter_entities(schemas))
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    targets = [str(out / package) for package in PACKAGES]
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(PYPROJECT), "--quiet"]
    subprocess.run([*ruff, "check", *config, "--fix-only", "--exit-zero", *targets], check=True)
    subprocess.run([*ruff, "format", *config, *targets], check=True)
    counts["files"] = len(files)
    return counts


def _files(root: Path) -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        base = root / package
        if base.is_dir():
            found.update(
                str(p.relative_to(root)) for p in base.rglob("*.py") if "__pycache__" not in p.parts
            )
    return found


def diff_trees(new: Path, old: Path) -> list[str]:
    """Paths (relative) that differ between a fresh generation and ``old``."""
    new_files, old_files = _files(new), _files(old)
    changed = sorted(new_files ^ old_files)
    for path in sorted(new_files & old_files):
        if not filecmp.cmp(new / path, old / path, shallow=False):
            changed.append(path)
    return sorted(changed)


def sync_trees(new: Path, old: Path) -> None:
    """Make ``old/methods`` and ``old/models`` equal to ``new``'s (stale files deleted)."""
    new_files, old_files = _files(new), _files(old)
    for path in sorted(old_files - new_files):
        (old / path).unlink()
    for path in sorted(new_files):
        target = old / path
        if not target.is_file() or not filecmp.cmp(new / path, target, shallow=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(new / path, target)
    for package in PACKAGES:
        for folder in sorted((old / package).rglob("*"), reverse=True):
            if folder.is_dir() and not any(p for p in folder.iterdir() if p.name != "__pycache__"):
                shutil.rmtree(folder)
