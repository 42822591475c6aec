"""Types of your own portal: a typed package made from a live portal's own descriptions.

``b24typed portal-types --webhook URL --out PATH`` (or ``python -m b24typed.portal_types``) reads
the portal's user fields (``crm.*.userfield.list``, ``crm.item.fields``, ``user.userfield.list``,
``task.item.userfield.getlist``), smart processes (``crm.type.list``) and REST 3.0 schemas
(``rest.documentation.openapi``) into a :class:`~.describe.Description`, and writes a package:
entity models with the user fields as typed attributes, one model and namespace per smart
process, REST 3.0 wrappers and ``client(b24)``. ``--check`` compares the portal with the
description the package was made from and exits 1 with a readable diff when it drifted.

Generating needs jinja2 (``pip install 'b24typed[portal-types]'``); the generated package needs
only b24typed (:mod:`.runtime`).
"""

from __future__ import annotations

from .describe import Description, read_portal

__all__ = ["Description", "generate", "read_portal"]


def generate(description: Description, package: str) -> dict[str, str]:
    """The files of the typed package ``package`` made from ``description`` (path -> text)."""
    from .emit import render

    return render(description, package)
