"""Import time: ``import app_framework`` beside its peers, in fresh processes.

Run: ``.venv/bin/python bench/bench_import.py`` (part of ``make bench``).

Each contender is imported in a new interpreter with ``-X importtime``;
the figure is the cumulative time of the top-level import (interpreter
start-up excluded). Contenders are interleaved round by round and the
median is printed. ``werkzeug`` alone is listed because app_framework
builds on it and its package ``__init__`` imports its development server
and test client: a floor that no lazy import on our side can remove.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

ROUNDS = 9
CONTENDERS = {
    "starlette.applications": "import starlette.applications",
    "app_framework": "import app_framework",
    "asignals": "import asignals",
    "blinker": "import blinker",
    "werkzeug": "import werkzeug",
    "werkzeug + starlette.applications": (
        "import werkzeug; import starlette.applications"
    ),
    "flask": "import flask",
    "quart": "import quart",
}


# As users run: with bytecode caches written and read (a shell that sets
# PYTHONDONTWRITEBYTECODE would make every import of this checkout compile
# from source, while installed packages have their caches).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_ms(statement: str) -> float:
    """Milliseconds the last top-level import of ``statement`` took."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=ENV,
    )
    # The cumulative times of the top-level imports (indent of one space).
    total = 0
    for line in result.stderr.splitlines()[1:]:
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):
            total += int(cumulative)
    return total / 1000


def main() -> None:
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for statement in CONTENDERS.values():
        import_ms(statement)  # writes the bytecode caches
    for _ in range(ROUNDS):
        for name, statement in CONTENDERS.items():
            samples[name].append(import_ms(statement))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["starlette.applications"]
    print("Import time, median ms of fresh interpreters (-X importtime)")
    print()
    print("| module | ms | vs starlette.applications |")
    print("|---|---:|---:|")
    for name, value in medians.items():
        print(f"| {name} | {value:.1f} | {value / base:.2f}x |")
    print()
    print(
        f"app_framework: {medians['app_framework'] / base:.2f}x "
        "starlette.applications (target <= 1.10x)"
    )


if __name__ == "__main__":
    main()
