"""The shared bootstrap (zipfian_envs.core.stats) and the studies' dependency rule."""

import pathlib

import numpy as np

import zipfian_envs
from zipfian_envs.core.stats import iqm_interval, mean_interval


def test_mean_interval_brackets_the_mean_and_is_seeded():
    outcomes = np.random.default_rng(0).random(200) < 0.3
    entry = mean_interval(outcomes, key=1, seed=5)
    assert entry["ci_low"] < entry["mean"] < entry["ci_high"] and entry["n"] == 200
    assert entry == mean_interval(outcomes, key=1, seed=5)
    assert entry != mean_interval(outcomes, key=2, seed=5)
    assert mean_interval([1.0]) == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}


def test_iqm_interval_over_runs():
    runs = [[1, 1, 0, 1], [0, 0, 1, 0], [1, 1, 1, 1], [0, 1, 0, 1]]
    entry = iqm_interval(runs, seed=0)
    assert entry["per_run"] == [0.75, 0.25, 1.0, 0.5]
    assert entry["mean"] == 0.625  # IQM trims the lowest and highest of four runs
    assert entry["ci_low"] <= entry["mean"] <= entry["ci_high"] and entry["runs"] == 4 and entry["n"] == 16


def test_studies_never_import_evaluation_or_agents():
    studies = pathlib.Path(zipfian_envs.__file__).parent / "studies"
    for path in studies.rglob("*.py"):
        text = path.read_text()
        assert "zipfian_envs.evaluation" not in text and "zipfian_envs.agents" not in text, path
