"""``python -m b24typed.portal_types``: the same as ``b24typed portal-types``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
