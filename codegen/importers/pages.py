"""Find the method pages of the docs and read their identity: name, API version, flags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codegen.importers import yfm

_METHOD_TOKEN = re.compile(r"\b[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+\b")
_CALLED = (
    re.compile(r"/rest/(?:api/)?(?:\*\*[^*]+\*\*/){0,2}([A-Za-z_][\w.]*)"),
    re.compile(r"callMethod\(\s*['\"]([\w.]+)['\"]"),
    re.compile(r"method:\s*['\"]([\w.]+)['\"]"),
    re.compile(r"CRest::call\(\s*['\"]([\w.]+)['\"]"),
    re.compile(r"\bCall\(ctx,\s*\"([\w.]+)\""),
)
_SINGLE_WORD_METHODS = frozenset({"scope", "methods", "profile", "events", "batch"})
_V3_PAGE_NOTE = "belongs to REST 3.0"
_V3_SECTION_NOTE = "in this section belong to REST 3.0"
_DEPRECATED_TITLES = ("deprecated", "discontinued", "halted", "stopped")
_TODO = re.compile(r'\{%\s*note\s+alert\s+"TO-DO')
# REST 3.0 methods that have no page of their own, only a section of the REST 3.0 overview.
_SECTION_METHODS = (
    ("batch", "api-reference/rest-v3.md", "batch"),
    ("rest.documentation.openapi", "api-reference/rest-v3.md", "openapi"),
    ("rest.scope.list", "api-reference/rest-v3.md", "permissions"),
)


@dataclass
class MethodPage:
    """A page that documents one REST method."""

    path: str
    method: str
    api: int
    scopes: list[str]
    deprecated: bool
    replacement: str | None
    todo: bool
    text: str
    anchor: str | None = None

    @property
    def module(self) -> str:
        return self.method.partition(".")[0]

    @property
    def doc(self) -> str:
        """The page path, with the section anchor for methods documented in one section."""
        return f"{self.path}#{self.anchor}" if self.anchor else self.path


def find_method_pages(docs_root: Path) -> list[MethodPage]:
    """Return every method page under ``api-reference/``, sorted by (api, method, path)."""
    reference = docs_root / "api-reference"
    v3_dirs = _v3_section_dirs(reference)
    pages: list[MethodPage] = []
    for path in sorted(reference.rglob("*.md")):
        if "_includes" in path.parts or path.name in ("index.md", "data-types.md"):
            continue
        page = _read_method_page(path, docs_root, v3_dirs)
        if page is not None:
            pages.append(page)
    pages.extend(_section_pages(docs_root))
    pages.sort(key=lambda page: (page.api, page.method, page.path))
    return _drop_duplicates(pages)


def _section_pages(docs_root: Path) -> list[MethodPage]:
    pages: list[MethodPage] = []
    for method, relative, anchor in _SECTION_METHODS:
        path = docs_root / relative
        if not path.is_file():
            continue
        sections = yfm.sections(path.read_text(encoding="utf-8"))
        for index, section in enumerate(sections):
            if section.anchor == anchor:
                span = yfm.section_span(sections, index)
                text = "\n".join(part.text for part in span)
                pages.append(MethodPage(relative, method, 3, [], False, None, False, text, anchor))
    return pages


def _drop_duplicates(pages: list[MethodPage]) -> list[MethodPage]:
    """Keep the first page per (api, method), so that one file is written per method."""
    seen: set[tuple[int, str]] = set()
    unique: list[MethodPage] = []
    for page in pages:
        key = (page.api, page.method)
        if key not in seen:
            seen.add(key)
            unique.append(page)
    return unique


def _v3_section_dirs(reference: Path) -> list[Path]:
    return [
        index.parent
        for index in sorted(reference.rglob("index.md"))
        if _V3_SECTION_NOTE in index.read_text(encoding="utf-8")
    ]


def _read_method_page(path: Path, docs_root: Path, v3_dirs: list[Path]) -> MethodPage | None:
    text = path.read_text(encoding="utf-8")
    title = text.split("\n", 1)[0]
    if not title.startswith("# "):
        return None
    slug = path.stem.removesuffix("-rest-v3")
    method = method_name(title, called_methods(text), slug)
    if method is None or _is_excluded(method):
        return None
    relative = path.relative_to(docs_root).as_posix()
    api = 3 if _is_v3(text, path, v3_dirs) else 2
    deprecated, replacement = _deprecation(text, relative)
    return MethodPage(
        path=relative,
        method=method,
        api=api,
        scopes=_scopes(text),
        deprecated=deprecated,
        replacement=replacement,
        todo=bool(_TODO.search(text)),
        text=text,
    )


def called_methods(text: str) -> list[str]:
    """Return the methods the page's code examples call, most frequent first."""
    counts: dict[str, int] = {}
    for _lang, body in yfm.code_blocks(text):
        for pattern in _CALLED:
            for name in pattern.findall(body):
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda name: (-counts[name], name))


def _slug_of(method: str) -> str:
    return method.lower().replace(".", "-").replace("_", "-")


def method_name(title: str, called: list[str], slug: str) -> str | None:
    """Pick the method a page documents from its title, its examples and its file name."""
    tokens: list[str] = [t for t in _METHOD_TOKEN.findall(title) if not _is_title_noise(t)]
    slug = slug.lower().replace("_", "-")
    for candidate in tokens + called:
        if _slug_of(candidate) == slug:
            return candidate
    for token in reversed(tokens):
        if token in called:
            return token
    if tokens:
        return tokens[-1]
    return None


def _is_title_noise(token: str) -> bool:
    lowered = token.lower()
    return (
        lowered.startswith("bx24.")
        or lowered in ("im.v2", "imbot.v2")
        or lowered.endswith((".md", ".html", ".js"))
        or bool(re.fullmatch(r"v?\d+(\.\d+)+", lowered))
    )


def _is_excluded(method: str) -> bool:
    segments = method.split(".")
    is_event = any(re.match(r"^On[A-Z]", seg) for seg in segments) or ".ON." in method.upper()
    return is_event or method.lower().startswith("bx24.") or "*" in method


def _is_v3(text: str, path: Path, v3_dirs: list[Path]) -> bool:
    if _V3_PAGE_NOTE in text or path.stem.endswith("-rest-v3"):
        return True
    return any(directory in path.parents for directory in v3_dirs)


def _scopes(text: str) -> list[str]:
    for line in text.split("\n"):
        if line.lstrip("> ").lower().startswith("scope"):
            return sorted({t for t in yfm.ticked(line) if re.fullmatch(r"[\w.]+", t)})
    return []


def _deprecation(text: str, relative: str) -> tuple[bool, str | None]:
    by_path = "/outdated/" in relative or "/deprecated/" in relative
    for kind, title, body in yfm.notes(text):
        lowered = (title + " " + body[:200]).lower()
        if kind == "warning" and any(word in lowered for word in _DEPRECATED_TITLES):
            if "event" in title.lower():
                continue
            return True, _replacement(body)
    if "**DEPRECATED**" in text:
        return True, None
    return by_path, None


def _replacement(body: str) -> str | None:
    """The first method (or ``family.*``) linked from a deprecation note."""
    for match in re.finditer(r"\[`?([\w.]+?)(\.\*)?`?\]\(", body):
        if _METHOD_TOKEN.fullmatch(match.group(1)):
            return match.group(1) + (match.group(2) or "")
    return None
