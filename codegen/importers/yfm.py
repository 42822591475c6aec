"""Structural reader for the Yandex Flavored Markdown (YFM) pages of the Bitrix24 REST docs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_FENCE = re.compile(r"^\s*```")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{#([^}\s]+)\})?\s*$")
_INCLUDE = re.compile(r"\{%\s*include\s+(?:notitle\s+)?\[[^\]]*\]\(([^)]+)\)\s*%\}")
_BOLD_NAME = re.compile(r"^\s*\*\*(?P<name>.+?)\*\*")
_TICKED = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[(?:`[^`]*`|[^\]`])*\]\(([^)\s]+)\)")

BOILERPLATE_INCLUDES = ("required.md", "examples.md", "system-errors.md", "error-info")


@dataclass
class Section:
    """A heading and the lines below it up to the next heading of any level."""

    level: int
    title: str
    anchor: str | None
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Row:
    """One field row of a YFM table: the name line of the first cell and the rest."""

    name: str
    required: bool
    types: list[str]
    type_links: list[str]
    description: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


def inline_includes(text: str, path: Path, docs_root: Path) -> str:
    """Return a page's text with its data-bearing includes inlined."""
    return _inline_includes(text, path, docs_root, depth=0)


def _inline_includes(text: str, path: Path, docs_root: Path, depth: int) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match.group(1).split("#")[0]
        if depth > 3 or any(name in target for name in BOILERPLATE_INCLUDES):
            return ""
        included = (path.parent / target).resolve()
        if not included.is_file() or docs_root.resolve() not in included.parents:
            return ""
        body = included.read_text(encoding="utf-8")
        return _inline_includes(body, included, docs_root, depth + 1)

    return _INCLUDE.sub(replace, text)


def mask_fences(text: str) -> str:
    """Blank the content of fenced code blocks so tables and headings in code are ignored."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            inside = not inside
            out.append("")
        else:
            out.append("" if inside else line)
    return "\n".join(out)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """Return (language, body) of every fenced code block, in page order."""
    blocks: list[tuple[str, str]] = []
    lang = ""
    body: list[str] | None = None
    indent = 0
    for line in text.split("\n"):
        if _FENCE.match(line):
            if body is None:
                indent = len(line) - len(line.lstrip())
                lang = line.strip()[3:].strip().lower()
                body = []
            else:
                blocks.append((lang, "\n".join(body)))
                body = None
        elif body is not None:
            body.append(line[indent:] if line[:indent].isspace() else line.lstrip())
    return blocks


def sections(text: str) -> list[Section]:
    """Split a page into heading sections (code fences never start a section)."""
    masked = mask_fences(text).split("\n")
    raw = text.split("\n")
    result = [Section(0, "", None)]
    for masked_line, raw_line in zip(masked, raw, strict=True):
        match = _HEADING.match(masked_line)
        if match:
            title = match.group(2).strip()
            result.append(Section(len(match.group(1)), title, match.group(3)))
        else:
            result[-1].lines.append(raw_line)
    return result


def section_span(all_sections: list[Section], start: int) -> list[Section]:
    """Return the section at index ``start`` followed by all its subsections."""
    head = all_sections[start]
    span = [head]
    for section in all_sections[start + 1 :]:
        if section.level <= head.level:
            break
        span.append(section)
    return span


def tables(text: str) -> list[Table]:
    """Parse every ``#| ... |#`` table outside code fences."""
    masked = mask_fences(text)
    found: list[Table] = []
    for block in re.findall(r"#\|(.*?)\|#", masked, flags=re.DOTALL):
        rows = [_split_cells(row) for row in _split_rows(block)]
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        if rows:
            found.append(Table(header=rows[0], rows=rows[1:]))
    return found


def _split_rows(block: str) -> list[str]:
    parts = block.split("||")
    return [parts[i] for i in range(1, len(parts), 2)]


def _split_cells(row: str) -> list[str]:
    cells: list[str] = []
    current: list[str] = []
    in_tick = False
    depth = 0
    for char in row:
        if char == "`":
            in_tick = not in_tick
        elif char in "[(" and not in_tick:
            depth += 1
        elif char in "])" and not in_tick:
            depth = max(0, depth - 1)
        if char == "|" and not in_tick and depth == 0:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    cells.append("".join(current).strip())
    return cells


def is_field_table(table: Table) -> bool:
    """True for name/type/description tables (not error or status tables)."""
    header = [cell.lower() for cell in table.header]
    if len(header) < 2 or any(word in " ".join(header) for word in ("status", "error", "fix")):
        return False
    return any(word in header[0] for word in ("name", "parameter", "field"))


def field_rows(table: Table) -> list[Row]:
    """Read the rows of a name/type/description table."""
    return [row for row, _cells in field_cells(table)]


def field_cells(table: Table) -> list[tuple[Row, list[str]]]:
    """The rows of a name/type/description table, each with its cells (for extra columns)."""
    found: list[tuple[Row, list[str]]] = []
    for cells in table.rows:
        row = _field_row(cells)
        if row is not None:
            found.append((row, cells))
    return found


def _field_row(cells: list[str]) -> Row | None:
    first = cells[0]
    match = _BOLD_NAME.match(first)
    if not match:
        return None
    raw_name = match.group("name")
    after = first[match.end() :]
    required = (
        "^*^" in raw_name or raw_name.endswith("*") or after.lstrip().startswith(("*", "^*^"))
    )
    name = raw_name.replace("^*^", "").rstrip("*").replace("\\", "").strip().strip("`").strip()
    name = re.sub(r"\s*\([^)]*\)$", "", name)
    if not name or any(char.isspace() for char in name):
        return None
    rest = after.lstrip("*").replace("^*^", "")
    if len(cells) == 2 and not _TICKED.search(rest):
        return Row(name, required, [], [], cells[1])
    types = [token.strip() for token in _TICKED.findall(rest)]
    links = _LINK.findall(rest)
    description = " | ".join(cells[1:]) if len(cells) > 1 else ""
    return Row(name, required, types, links, description)


def notes(text: str) -> list[tuple[str, str, str]]:
    """Return (kind, title, body) of every ``{% note %}`` block."""
    pattern = re.compile(
        r'\{%\s*note\s+(\w+)\s*(?:"([^"]*)")?\s*%\}(.*?)\{%\s*endnote\s*%\}', flags=re.DOTALL
    )
    return [(m.group(1), m.group(2) or "", m.group(3)) for m in pattern.finditer(text)]


def ticked(text: str) -> list[str]:
    """Return every backticked token of a text."""
    return _TICKED.findall(text)


def links(text: str) -> list[str]:
    """Return every markdown link target of a text."""
    return _LINK.findall(text)
