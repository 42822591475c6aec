"""The method tree of one API version: namespaces, methods, and where each is generated.

A node is a path of method segments (``("crm", "item")``). A node is a namespace when methods live
below it, a method when a schema names it, or both (``im.notify`` and ``im.notify.read``).
Generated modules group nodes: the root, then one package per first segment
(``methods/v2/crm/__init__.py``), then one module per second segment (``methods/v2/crm/item.py``)
holding every deeper node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codegen.generator.naming import NameRegistry, identifier, pascal_case

Path = tuple[str, ...]

# Attribute names a namespace must not use for a child.
NODE_RESERVED = frozenset({"iterate", "request", "_b24", "_call", "_walk"})


@dataclass
class Node:
    path: Path
    schema: dict[str, Any] | None = None
    children: dict[str, Node] = field(default_factory=dict)  # raw segment -> node
    attrs: dict[str, str] = field(default_factory=dict)  # raw segment -> attribute name
    class_name: str = ""

    @property
    def is_namespace(self) -> bool:
        return bool(self.children) or not self.path


def group_of(path: Path) -> Path:
    """The module a node's class (and its methods' builders) are generated in."""
    return path[:2]


def build_tree(documents: list[dict[str, Any]], root_reserved: frozenset[str]) -> Node:
    root = Node(())
    for document in documents:
        node = root
        for segment in document["method"].split("."):
            node = node.children.setdefault(segment, Node((*node.path, segment)))
        node.schema = document
    _name(root, root_reserved)
    return root


def _name(node: Node, reserved: frozenset[str]) -> None:
    registry = NameRegistry(reserved | NODE_RESERVED, sep="_")
    for segment in sorted(node.children, key=lambda s: (identifier(s), s)):
        node.attrs[segment] = registry.take(identifier(segment, reserved=reserved | NODE_RESERVED))
    for child in node.children.values():
        _name(child, frozenset())


def walk(node: Node) -> list[Node]:
    """Every node, parents before children, siblings sorted: a deterministic order."""
    found = [node]
    for segment in sorted(node.children):
        found.extend(walk(node.children[segment]))
    return found


def module_parts(root: Node, path: Path) -> list[str]:
    """The Python module path below ``methods/vN`` of a group: attribute names of its segments."""
    parts: list[str] = []
    node = root
    for segment in path:
        parts.append(node.attrs[segment])
        node = node.children[segment]
    return parts


def class_name(api: int, path: Path) -> str:
    prefix = "V3" if api == 3 else ""
    if not path:
        return f"V{api}Root"
    return prefix + pascal_case(*path)
