"""Summaries, bootstrap coverage, records files, result JSON, plots and the leaderboard."""

import json

import numpy as np
import pytest

from zipfian_envs.core import skew
from zipfian_envs.evaluation import EvaluationError, SchemaError, aggregate_seeds, load_records, save_records, summarize
from zipfian_envs.evaluation import leaderboard as lb
from zipfian_envs.evaluation.report import (
    SCHEMA_VERSION,
    format_summary,
    load_result,
    plot_success_by_rank,
    write_result,
)

ENV = "Zipfian/Gridworld-v0"


def fake_records(rates_by_rank, per_rank=10, protocol="uniform", num_items=20, **extra):
    """Records where rank r succeeds on exactly round(rate * per_rank) of its episodes."""
    records = []
    for rank, rate in rates_by_rank.items():
        wins = round(rate * per_rank)
        for k in range(per_rank):
            records.append(
                {
                    "env_id": ENV, "level": "uniform", "protocol": protocol, "seed": 0, "episode": len(records),
                    "item": f"item{rank}", "item_rank": rank, "num_items": num_items,
                    "frequency_bin": skew.frequency_bin(rank, num_items), "map_rank": 1,
                    "return": float(k < wins), "length": 5, "success": k < wins, **extra,
                }
            )  # fmt: skip
    return records


def test_summary_known_answer():
    rates = {rank: (1.0 if rank <= 4 else 0.5 if rank <= 16 else 0.25) for rank in range(1, 21)}
    summary = summarize(fake_records(rates, per_rank=4))
    assert summary["episodes"] == 80
    assert summary["bins"]["common"]["success"] == 1.0
    assert summary["bins"]["medium"]["success"] == 0.5
    assert summary["bins"]["rare"]["success"] == 0.25
    assert summary["rare_success"] == 0.25 and summary["rare_common_ratio"] == 0.25
    assert summary["success"]["success"] == pytest.approx((4 * 1 + 12 * 0.5 + 4 * 0.25) / 20)
    assert [row["rank"] for row in summary["ranks"]] == list(range(1, 21))
    assert summary["ranks"][16]["frequency_bin"] == "rare" and summary["ranks"][16]["episodes"] == 4
    for entry in [summary["success"], *summary["bins"].values(), *summary["ranks"]]:
        assert entry["ci_low"] <= entry["success"] <= entry["ci_high"]


def test_summary_is_seeded():
    records = fake_records({rank: 0.3 for rank in range(1, 21)})
    assert summarize(records, seed=3) == summarize(records, seed=3)
    assert summarize(records, seed=3)["success"] != summarize(records, seed=4)["success"]


def test_bootstrap_intervals_cover_the_true_rate():
    """A 95% interval should contain p in about 95% of repeated draws from a Bernoulli(p) source."""
    rng = np.random.default_rng(0)
    p, n, trials = 0.3, 200, 200
    hits = 0
    for trial in range(trials):
        outcomes = rng.random(n) < p
        records = [{"item_rank": 1, "num_items": 1, "success": bool(s)} for s in outcomes]
        entry = summarize(records, seed=trial, n_resamples=1000)["success"]
        hits += entry["ci_low"] <= p <= entry["ci_high"]
    # Binomial(200, 0.95) has sd 1.5%: [0.90, 0.99] is more than 3 sd either side.
    assert 0.90 <= hits / trials <= 0.99


def test_aggregate_seeds_takes_the_iqm_with_stratified_intervals():
    runs = [fake_records({r: rate for r in range(1, 21)}, train_seed=i) for i, rate in enumerate([0.1, 0.2, 0.3, 0.9])]
    aggregate = aggregate_seeds(runs, seed=0)
    overall = aggregate["success"]
    assert overall["per_run"] == pytest.approx([0.1, 0.2, 0.3, 0.9])
    assert overall["success"] == pytest.approx(0.25)  # mean of the middle two of four
    assert overall["runs"] == 4 and aggregate["runs"] == 4
    assert overall["ci_low"] < 0.25 < overall["ci_high"] < 0.9
    assert aggregate["bins"]["rare"]["success"] == pytest.approx(0.25)
    assert aggregate["rare_common_ratio"] == pytest.approx(1.0)
    assert aggregate_seeds(runs, seed=0) == aggregate


def test_aggregate_coverage_for_identical_seeds():
    rng = np.random.default_rng(1)
    hits = 0
    for trial in range(60):
        runs = [[{"item_rank": 1, "num_items": 1, "success": bool(s)} for s in rng.random(150) < 0.6] for _ in range(3)]
        entry = aggregate_seeds(runs, seed=trial, n_resamples=500)["success"]
        hits += entry["ci_low"] <= 0.6 <= entry["ci_high"]
    assert hits >= 52  # 95% nominal; 52/60 is about 3 sd below


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_records_round_trip(tmp_path, suffix):
    records = fake_records({1: 1.0, 20: 0.0}, per_rank=2)
    path = save_records(records, tmp_path / f"r{suffix}", policy="human")
    loaded = load_records(path)
    assert loaded == [{"policy": "human", **r} for r in records]
    assert isinstance(loaded[0]["success"], bool) and isinstance(loaded[0]["return"], float)


def write_entry(out_dir, policy, rates, **kwargs):
    by_protocol = {
        "zipfian": fake_records({1: rates[0], 2: rates[0]}, protocol="zipfian"),
        "uniform": fake_records({r: rates[0] if r <= 4 else rates[1] for r in range(1, 21)}),
        "rare": fake_records({r: rates[1] for r in range(17, 21)}, protocol="rare"),
    }
    args = {"env_id": ENV, "level": "zipf_2", "env_kwargs": {}, "policy_name": policy, "seeds": [0], **kwargs}
    return write_result(out_dir, by_protocol, **args)


def test_result_json_round_trip_and_files(tmp_path):
    path = write_entry(tmp_path, "half", (1.0, 0.5))
    result = load_result(path)
    assert result["schema_version"] == SCHEMA_VERSION
    assert result["package_version"] and result["env_config"]["kwargs"]["level"] == "zipf_2"
    assert result["episodes"] == {"zipfian": 20, "uniform": 200, "rare": 40}
    assert result["headline"]["rare_success"] == 0.5 and result["headline"]["rare_common_ratio"] == 0.5
    assert len(result["protocols"]["uniform"]["summary"]["ranks"]) == 20
    assert (tmp_path / result["files"]["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(load_records(tmp_path / result["files"]["records"])) == 260
    assert "rare success 0.500" in format_summary(result)


def test_result_extra_keys_are_kept_but_never_replace_the_schema(tmp_path):
    path = write_entry(tmp_path, "trained", (1.0, 0.5), extra={"training": {"steps": 1000}})
    assert load_result(path)["training"] == {"steps": 1000}
    with pytest.raises(EvaluationError, match="headline"):
        write_entry(tmp_path, "clash", (1.0, 0.5), extra={"headline": {}})


def test_result_schema_is_checked(tmp_path):
    path = write_entry(tmp_path, "half", (1.0, 0.5), plot=False)
    data = json.loads(path.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match=f"schema version {SCHEMA_VERSION + 1}"):
        load_result(path)
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(SchemaError, match="not a zipfian-envs evaluation result"):
        load_result(tmp_path / "other.json")


def test_several_train_seeds_are_aggregated(tmp_path):
    records = [r for i, rate in enumerate([0.2, 0.4, 0.6]) for r in fake_records({20: rate}, train_seed=i)]
    path = write_result(
        tmp_path, {"rare": records}, env_id=ENV, level="zipf_2", env_kwargs={}, policy_name="m", seeds=[0], plot=False
    )
    result = load_result(path)
    assert result["train_seeds"] == [0, 1, 2]
    assert result["protocols"]["rare"]["aggregate"]["success"]["per_run"] == pytest.approx([0.2, 0.4, 0.6])
    assert result["headline"]["rare_success"] == pytest.approx(0.4)


def test_leaderboard_merges_and_sorts_by_rare_success(tmp_path, capsys):
    paths = [write_entry(tmp_path, name, rates, plot=False) for name, rates in [("a", (1, 0.2)), ("b", (1, 0.8))]]
    # The same configuration through the level-pinned id is accepted next to Gridworld-v0.
    paths.append(write_entry(tmp_path, "c", (0.5, 0.5), env_id="Zipfian/Gridworld-zipf_2-v0", plot=False))
    md, csv_path, png = tmp_path / "board.md", tmp_path / "board.csv", tmp_path / "board.png"
    argv = [str(p) for p in paths] + ["--markdown", str(md), "--csv", str(csv_path), "--plot", str(png)]
    assert lb.main(argv) == 0
    out = capsys.readouterr().out
    assert out == md.read_text()
    assert [line.split("|")[2].strip() for line in out.splitlines() if line.startswith("| ")][1:] == ["b", "c", "a"]
    rows = lb.leaderboard_rows(lb.load_results(paths))
    assert [r["rare_success"] for r in rows] == [0.8, 0.5, 0.2]
    assert csv_path.read_text().splitlines()[0].startswith("rank,policy,rare_success")
    assert png.stat().st_size > 1000


def test_leaderboard_refuses_other_configs_and_schemas(tmp_path, capsys):
    a = write_entry(tmp_path, "a", (1, 0.2), plot=False)
    b = write_entry(tmp_path / "x", "b", (1, 0.2), env_kwargs={"max_steps": 50}, plot=False)
    assert lb.main([str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "max_steps=50" in err and "one env configuration" in err and len(err.strip().splitlines()) == 1
    data = json.loads(a.read_text())
    data["schema_version"] = 0
    a.write_text(json.dumps(data))
    assert lb.main([str(a)]) == 2
    assert "schema version 0" in capsys.readouterr().err
    assert lb.main([str(tmp_path / "missing.json")]) == 2


def test_plot_several_entries(tmp_path):
    results = [load_result(write_entry(tmp_path, n, r, plot=False)) for n, r in [("a", (1, 0.2)), ("b", (0.9, 0.8))]]
    path = plot_success_by_rank(results, tmp_path / "p.png", labels=["A", "B"])
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_graded_envs_get_normalized_score_summaries(tmp_path):
    records = [
        {"item_rank": r, "num_items": 10, "success": s > 0.5, "normalized_score": s, "return": s, "length": 5}
        for r, s in [(1, 1.0), (1, 0.8), (2, 0.6), (5, 0.2), (9, -0.1), (10, 0.0), (10, 0.1)]
    ]
    summary = summarize(records)
    block = summary["normalized_score"]
    assert block["overall"]["mean"] == pytest.approx(np.mean([1.0, 0.8, 0.6, 0.2, -0.1, 0.0, 0.1]))
    assert block["bins"]["common"]["mean"] == pytest.approx(np.mean([1.0, 0.8, 0.6]))
    assert block["bins"]["rare"]["mean"] == pytest.approx(np.mean([-0.1, 0.0, 0.1]))
    assert block["bins"]["rare"]["ci_low"] <= block["bins"]["rare"]["mean"] <= block["bins"]["rare"]["ci_high"]
    assert [entry["rank"] for entry in block["ranks"]] == [1, 2, 5, 9, 10]
    path = save_records(records, tmp_path / "graded.csv")
    loaded = load_records(path)
    assert isinstance(loaded[0]["normalized_score"], float)
    assert summarize(loaded)["normalized_score"] == block
    merged = aggregate_seeds([records, records])
    assert merged["normalized_score"]["overall"]["mean"] == pytest.approx(block["overall"]["mean"])
    ungraded = [{k: v for k, v in r.items() if k != "normalized_score"} for r in records]
    assert "normalized_score" not in summarize(ungraded)
