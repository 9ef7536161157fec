from __future__ import annotations

# The module exists, one of its imports does not: not "no such module".
import orchard_missing_dependency  # type: ignore[import-not-found]  # noqa: F401
