"""Sphinx configuration for the documentation site (``make docs``).

Pages are Markdown read by MyST; the API reference is built by autodoc
from the packages' docstrings, which are written in reStructuredText.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import app_framework  # noqa: E402

project = "asignals + app_framework"
author = "The app-framework authors"
copyright = "the app-framework authors, MIT licence"
version = release = app_framework.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "attribute_docs",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/DOCS.md"]

# Headings become link targets (#the-signal-inspector), as on GitHub.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_inherit_docstrings = True

html_theme = "furo"
html_title = f"asignals + app_framework {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
pygments_style = "sphinx"
