"""MkDocs hooks: serve the figures under results/ and the configs/ files at the same paths in the site.

The pages link them as ``results/...`` and ``configs/...`` relative to the docs root, so the one copy
in the repository (the committed result files) is the one the site shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
SHARED = {"results": (".png", ".gif", ".webp", ".svg"), "configs": (".toml", ".yaml", ".yml")}


def on_files(files: Files, config: Any) -> Files:
    """Add every figure under results/ and every config file under configs/ to the site's files."""
    for folder, suffixes in SHARED.items():
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in suffixes:
                uri = path.relative_to(ROOT).as_posix()
                if files.get_file_from_path(uri) is None:
                    files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


ROLE = re.compile(r":(?:mod|class|func|meth|data|attr|obj|exc):(<code>)~?")


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """Drop the Sphinx roles (``:mod:``, ``:class:``, ...) the docstrings use before their code spans."""
    return ROLE.sub(r"\1", html)
