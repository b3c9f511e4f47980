"""Smoke test of benchmarks/bench_peers.py: a tiny run writes a JSON of the right shape (no timing checks)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load(path: str, name: str) -> ModuleType:
    """Import a script of the repository by its path."""
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_a_tiny_run_writes_every_row_and_the_docs_render_it(tmp_path, monkeypatch):
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "LP_NUM_THREADS"):
        monkeypatch.setenv(name, "1")  # what the script sets on import, undone after the test
    bench = load("benchmarks/bench_peers.py", "bench_peers")
    out = tmp_path / "results" / "speed.json"
    argv = ["--steps", "16", "--repeats", "1", "--num-envs", "2", "--json", str(out)]
    returned = bench.main(argv)
    result = json.loads(out.read_text())
    assert result == returned
    assert not list(out.parent.glob(".*"))  # the atomic write left no scratch file
    assert result["kind"] == bench.KIND
    assert result["command"] == "python benchmarks/bench_peers.py " + " ".join(argv)
    assert (result["steps"], result["repeats"], result["num_envs"]) == (16, 1, 2)
    for key in ("cpu", "cores", "python", "numpy", "gymnasium", "minigrid", "miniworld", "render_backend"):
        assert key in result["machine"]
    assert set(result["load_average"]) == {"start", "end"}
    assert result["date"][:2] == "20"

    # Every peer either ran (a row without a peer of its own) or was skipped with a reason.
    peers = {row["configuration"] for row in result["rows"] if row["peer"] is None}
    skipped = {skip["configuration"]: skip["reason"] for skip in result["skipped"]}
    assert peers | set(skipped) == set(bench.PEERS) and not peers & set(skipped)
    assert all(skipped.values())
    ours = [row for row in result["rows"] if row["peer"] is not None]
    assert len(ours) == 2 * len(bench.OURS)
    assert {row["num_envs"] for row in ours} == {1, 2}
    for row in result["rows"]:
        assert row["steps_per_s"] > 0
        assert (row["per_peer"] is not None) == (row["peer"] in peers)

    docs = load("scripts/gen_docs.py", "gen_docs_for_bench_peers")
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    text = docs.gen_peer_speed()
    for row in result["rows"] + result["skipped"]:
        assert f"| {row['configuration']} |" in text
    assert result["command"] in text and "results/speed.json" in text
