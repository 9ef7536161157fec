"""``python -m app_framework``: see :mod:`app_framework.cli`."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
