"""Packaging: one top-level import name, metadata-backed version, py.typed, and a one-way dependency.

The environments (and everything else under ``zipfian_envs/`` outside ``agents/`` and ``evaluation/``)
never import the agents or the evaluation harness, at module level or inside a function. The wheel
itself is built and smoke-tested by ``.ci/run`` (``.ci/smoke.py``).
"""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import zipfian_envs

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "zipfian_envs"
UPPER = ("zipfian_envs.agents", "zipfian_envs.evaluation")  # the layers the environments must not reach


def module_name(path: Path) -> str:
    """The dotted module name of a file under the checkout (``pkg/__init__.py`` -> ``pkg``)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module ``source`` may import, absolute and resolved: ``(line, dotted name)``, anywhere in the file.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule); relative imports are
    resolved against ``module``; ``importlib.import_module("...")`` / ``__import__("...")`` with a string
    literal count too.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def reaches_upper_layer(name: str) -> bool:
    """Whether the dotted ``name`` is the agents or evaluation package or inside one."""
    return any(name == upper or name.startswith(upper + ".") for upper in UPPER)


def lower_layer_files() -> list[Path]:
    """Every module under zipfian_envs/ except zipfian_envs/agents/** and zipfian_envs/evaluation/**."""
    exempt = [PACKAGE_DIR / "agents", PACKAGE_DIR / "evaluation"]
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if not any(p.is_relative_to(e) for e in exempt))


def test_no_module_outside_agents_and_evaluation_imports_them():
    files = lower_layer_files()
    names = {module_name(p) for p in files}
    expected = {"zipfian_envs", "zipfian_envs.tools.play", "zipfian_envs.core.records", "zipfian_envs.registration"}
    assert expected <= names
    offences = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for path in files
        for line, name in imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.stem == "__init__")
        if reaches_upper_layer(name)
    ]
    assert not offences, "the environments layer must not import agents/evaluation:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    ("source", "module", "is_package"),
    [
        ("import zipfian_envs.evaluation.cli", "zipfian_envs.gridworld.env", False),
        ("from zipfian_envs.agents import train", "zipfian_envs.tools.play", False),
        ("from zipfian_envs import evaluation", "zipfian_envs.tools.play", False),
        ("def f():\n    from zipfian_envs.evaluation.records import x\n", "zipfian_envs.tools.play", False),
        ("from ..evaluation import harness", "zipfian_envs.studies.icl", False),
        ("from ... import agents", "zipfian_envs.studies.icl.train", False),
        ("from . import evaluation", "zipfian_envs", True),
        (
            "import importlib\nm = importlib.import_module('zipfian_envs.agents.presets')",
            "zipfian_envs.gridworld.demo",
            False,
        ),
    ],
)
def test_the_scanner_catches_every_import_form(source, module, is_package):
    assert any(reaches_upper_layer(name) for _, name in imported_modules(source, module, is_package))


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from zipfian_envs import records, skew", "zipfian_envs.tools.play"),
        ("from .. import records", "zipfian_envs.gridworld.env"),
        ("import zipfian_envs.evaluations_extra", "zipfian_envs.gridworld.demo"),  # a prefix is not the package
        ("import agents", "zipfian_envs.gridworld.demo"),  # another distribution's name, not ours
    ],
)
def test_the_scanner_lets_lower_layer_imports_through(source, module):
    assert not any(reaches_upper_layer(name) for _, name in imported_modules(source, module, False))


def test_envs_viewer_and_records_load_without_agents_or_evaluation():
    code = (
        "import sys, gymnasium as gym, zipfian_envs, zipfian_envs.tools.play, zipfian_envs.core.records\n"
        "for env_id in zipfian_envs.env_ids():\n"
        "    env = gym.make(env_id); env.reset(seed=0); env.close()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('zipfian_envs.agents', 'zipfian_envs.evaluation'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def read_pyproject() -> dict:
    """pyproject.toml as a dict (tomllib: Python 3.11+, the version the full suite runs on)."""
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_comes_from_the_installed_metadata():
    pyproject = read_pyproject()
    assert zipfian_envs.__version__ == importlib.metadata.version("zipfian-envs") == pyproject["project"]["version"]


def test_py_typed_is_shipped_and_classifiers_match_what_ci_tests():
    pyproject = read_pyproject()
    assert (PACKAGE_DIR / "py.typed").is_file()
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["zipfian_envs"]
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["zipfian_envs*"]
    prefix = "Programming Language :: Python :: "
    classifiers = pyproject["project"]["classifiers"]
    versions = sorted(c.removeprefix(prefix) for c in classifiers if c.startswith(prefix + "3."))
    assert versions == ["3.10", "3.11"]
    assert pyproject["project"]["requires-python"] == ">=3.10"  # the oldest classifier
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "versions/3.10" in ci and "python3 -m venv" in ci  # 3.10 (core) and the default 3.11 both run
