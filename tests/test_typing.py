"""The env layer type-checks: mypy with every ``--strict`` flag on the modules pyproject.toml lists as strict.

``.ci/run`` runs ``mypy`` on the whole package (default mode elsewhere); this test keeps the strict part
honest from the test suite alone, and checks that the strict override really carries the strict flags.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# mypy --strict's per-module flags (warn_redundant_casts and warn_unused_ignores are global in pyproject).
STRICT_FLAGS = {
    "disallow_any_generics": True,
    "disallow_subclassing_any": True,
    "disallow_untyped_calls": True,
    "disallow_untyped_defs": True,
    "disallow_incomplete_defs": True,
    "check_untyped_defs": True,
    "disallow_untyped_decorators": True,
    "warn_return_any": True,
    "implicit_reexport": False,
    "strict_equality": True,
    "extra_checks": True,
}


def strict_modules() -> list[str]:
    """The module patterns of pyproject.toml's strict override (the one with ``disallow_untyped_defs``)."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    strict = [o for o in config["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1, "one [[tool.mypy.overrides]] table holds the env layer's strict flags"
    override = strict[0]
    assert {key: override.get(key) for key in STRICT_FLAGS} == STRICT_FLAGS
    return list(override["module"])


def test_strict_modules_exist():
    for pattern in strict_modules():
        path = ROOT / pattern.removesuffix(".*").replace(".", "/")
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), pattern


def test_env_layer_passes_strict_mypy(tmp_path):
    pytest.importorskip("mypy")
    patterns = strict_modules()
    packages = {pattern.removesuffix(".*") for pattern in patterns if pattern.endswith(".*")}
    targets: list[str] = []
    for name in sorted(packages):
        targets += ["-p", name]
    for name in sorted(set(patterns) - {f"{p}.*" for p in packages} - packages):
        targets += ["-m", name]
    # A fresh cache: about 20 s on one core; the checkout's .mypy_cache is left alone.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy_cache"), *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
