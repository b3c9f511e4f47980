"""Readers validate what they read (issue 27): result JSONs against the schema, records CSVs row by row.

Property-based (hypothesis): any mutation of a valid result that breaks the schema is refused with an
error naming the file and the field; any cut of a records file that loses part of a row is refused
with the file and line. Valid files keep loading.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zipfian_envs.core.records import RecordError, load_records, save_records
from zipfian_envs.evaluation import leaderboard
from zipfian_envs.evaluation.errors import SchemaError
from zipfian_envs.evaluation.report import load_result
from zipfian_envs.evaluation.schema import validate_result

RESULTS = Path(__file__).resolve().parents[1] / "results"
SINGLE = RESULTS / "Gridworld-v0_zipf_2_random_seed0.json"
SEEDS = RESULTS / "gridworld/default/sampled/gridworld/symbolic_zipf_2/ppo-symbolic-cuematch-freshmaps.json"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _doc(path: Path = SINGLE) -> dict[str, Any]:
    return json.loads(path.read_text())


def _set(doc: dict[str, Any], field: list[Any], value: Any) -> None:
    target = doc
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value


def _rate_fields(doc: dict[str, Any]) -> list[list[Any]]:
    """Paths to every rate of the document (success entries, headline rates)."""
    fields: list[list[Any]] = [["headline", "rare_success"], ["headline", "common_success"]]
    for name, entry in doc["protocols"].items():
        for block in ("summary", "aggregate"):
            if block not in entry:
                continue
            base = ["protocols", name, block]
            fields += [[*base, "success", k] for k in ("success", "ci_low", "ci_high")]
            fields += [[*base, "bins", b, "success"] for b in entry[block]["bins"]]
            fields += [[*base, "ranks", i, "ci_high"] for i in range(len(entry[block]["ranks"]))]
    return fields


def test_every_committed_result_is_valid() -> None:
    found = [p for p in RESULTS.rglob("*.json") if '"kind": "zipfian-envs evaluation result"' in p.read_text()]
    assert len(found) > 20
    for path in found:
        validate_result(json.loads(path.read_text()), path)


@pytest.mark.parametrize("source", [SINGLE, SEEDS])
@FAST
@given(data=st.data(), bad=st.one_of(
    st.floats(min_value=1.0001, max_value=1e9), st.floats(max_value=-0.0001, min_value=-1e9),
    st.just(math.nan), st.just(math.inf), st.just("0.5"), st.just(True), st.none(), st.just([0.5]),
))  # fmt: skip
def test_an_impossible_rate_anywhere_is_refused_naming_the_field(source: Path, data: Any, bad: Any) -> None:
    doc = _doc(source)
    fields = _rate_fields(doc)
    field = data.draw(st.sampled_from(fields))
    if bad is None and field[0] == "headline":
        bad = 2.0  # null is a valid headline rate (undefined)
    _set(doc, field, bad)
    with pytest.raises(SchemaError) as caught:
        validate_result(doc, "x.json")
    message = str(caught.value)
    assert message.startswith("x.json: field ")
    named = ".".join(str(k) for k in field[:-1] if not isinstance(k, int))
    assert named.split(".")[0] in message


@FAST
@given(data=st.data())
def test_a_missing_key_is_refused_naming_it(data: Any) -> None:
    doc = _doc()
    tables: list[tuple[list[Any], str]] = [([], k) for k in doc if k not in ("package_version", "created_utc",
                                                                          "min_episodes_per_rank")]  # fmt: skip
    tables += [(["headline"], k) for k in ("rare_success", "rare_ci", "common_success", "rare_common_ratio")]
    tables += [(["protocols", "rare", "summary"], k) for k in ("episodes", "num_items", "success", "bins", "ranks")]
    tables += [(["protocols", "uniform", "summary", "success"], k) for k in ("success", "ci_low", "ci_high")]
    where, key = data.draw(st.sampled_from(tables))
    target = doc
    for part in where:
        target = target[part]
    del target[key]
    with pytest.raises(SchemaError, match=rf"^x\.json: field .*{key}"):
        validate_result(doc, "x.json")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (["protocols", "rare", "summary", "success", "ci_low"], 0.9, "ci_low <= value <= ci_high"),
        (["headline", "rare_ci"], [0.5, 0.1], "ci_low <= value <= ci_high"),
        (["episodes", "rare"], -5, "episodes.rare must be >= 0"),
        (["protocols", "rare", "summary", "episodes"], 7, "must equal episodes.rare"),
        (["protocols", "uniform", "summary", "ranks", 0, "rank"], 999, "must be <= num_items"),
        (["seeds"], [-1], r"seeds\[0\] must be >= 0"),
        (["policy"], "", "policy must be a non-empty string"),
        (["protocols"], {}, "at least one protocol"),
        (["headline", "rare_common_ratio"], math.nan, "must be finite"),
    ],
)
def test_named_impossible_values(field: list[Any], value: Any, message: str) -> None:
    doc = _doc()
    _set(doc, field, value)
    with pytest.raises(SchemaError, match=message):
        validate_result(doc, "x.json")


def test_load_result_and_the_leaderboard_refuse_an_impossible_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _doc()
    doc["headline"]["rare_success"] = 5.0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match=r"bad\.json: field headline\.rare_success must be in"):
        load_result(path)
    assert leaderboard.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "headline.rare_success" in err


def test_the_leaderboard_refuses_a_file_given_twice_or_a_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_path = tmp_path / "copy.json"
    copy_path.write_bytes(SINGLE.read_bytes())
    for argv in ([str(SINGLE), str(SINGLE)], [str(SINGLE), str(SINGLE.parent / "." / SINGLE.name)],
                 [str(SINGLE), str(copy_path)]):  # fmt: skip
        assert leaderboard.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "give each result once" in err


RECORD = {"env_id": "Zipfian/Gridworld-v0", "level": "zipf_2", "protocol": "rare", "seed": 4, "episode": 1,
          "item": "red_ex", "item_rank": 17, "num_items": 20, "frequency_bin": "rare", "return": 0.5,
          "length": 123, "success": True}  # fmt: skip


@pytest.fixture(scope="module")
def records_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [{**RECORD, "episode": i, "length": 100 + i, "success": i % 2 == 0} for i in range(6)]
    return save_records(rows, tmp_path_factory.mktemp("records") / "r.csv", policy="random")


@FAST
@given(cut=st.integers(min_value=1, max_value=10_000))
def test_a_records_file_cut_inside_a_row_is_refused_with_file_and_line(records_file: Path, cut: int) -> None:
    data = records_file.read_bytes()
    cut = cut % len(data)
    path = records_file.with_name("cut.csv")
    path.write_bytes(data[:cut])
    if cut == 0 or data[cut - 1 : cut] == b"\n":  # cut at a row boundary: whole rows, still valid
        assert len(load_records(path)) == max(data[:cut].count(b"\n") - 1, 0)
        return
    with pytest.raises(RecordError, match=r"cut\.csv:\d+: "):
        load_records(path)


@FAST
@given(data=st.data())
def test_a_records_file_with_a_middle_row_cut_is_refused(records_file: Path, data: Any) -> None:
    lines = records_file.read_bytes().split(b"\r\n")
    index = data.draw(st.integers(min_value=1, max_value=len(lines) - 3))  # a body row that has one after it
    keep = data.draw(st.integers(min_value=0, max_value=len(lines[index]) - 1))
    lines[index] = lines[index][:keep]
    path = records_file.with_name("middle.csv")
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(RecordError, match=rf"middle\.csv:{index + 1}: "):
        load_records(path)


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [("return", "nan", "not a finite number"), ("length", "-1", "must be >= 0"), ("item_rank", "21", "1..num_items"),
     ("success", "", "is empty"), ("num_items", "0", "must be >= 1")],
)  # fmt: skip
def test_impossible_record_values_are_refused(tmp_path: Path, column: str, text: str, message: str) -> None:
    path = save_records([RECORD, {**RECORD, column: text}], tmp_path / "bad.csv")
    with pytest.raises(RecordError, match=rf"bad\.csv:3: .*{message}"):
        load_records(path)


def test_valid_files_still_load(records_file: Path, tmp_path: Path) -> None:
    assert len(load_records(records_file)) == 6
    assert load_result(SINGLE)["policy"] == "random"
    doc = copy.deepcopy(_doc(SEEDS))
    validate_result(doc, SEEDS)


FINISHED_CONFIG = {"env": "Zipfian/Gridworld-v0", "env_kwargs": {}, "level": "zipf_2", "algo": "ppo",
                   "observation_kind": "symbolic", "seed": 0, "training": {"steps": 64}}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"env": "Zipfian/Gridworld-v0", "trai', "not a readable JSON file"),
        ("", "not a readable JSON file"),
        ("[1, 2]", "a run config is a JSON object, got list"),
        ("3", "a run config is a JSON object, got int"),
        (json.dumps({**FINISHED_CONFIG, "seed": "0"}), "field seed must be int, got '0'"),
        (json.dumps({**FINISHED_CONFIG, "seed": True}), "field seed must be int, got True"),
        (json.dumps({**FINISHED_CONFIG, "env_kwargs": []}), "field env_kwargs must be dict"),
        (json.dumps({**FINISHED_CONFIG, "frame_stack": "4"}), "field frame_stack must be int"),
        (json.dumps({k: v for k, v in FINISHED_CONFIG.items() if k != "algo"}), "field algo is missing"),
    ],
)
def test_a_broken_run_config_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    from zipfian_envs.agents import results, sweep
    from zipfian_envs.agents.cli import load_run_config

    path = tmp_path / "runs" / "run" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(SchemaError, match=message):
        load_run_config(path)
    with pytest.raises(SystemExit) as exit_info:  # the merge: one line naming the file, exit 2
        results.main(["--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "merged")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: " in err and "Traceback" not in err
    if "training" not in text:  # not JSON, or not an object: a sweep --resume redoes the trial
        assert not sweep.is_finished(path.parent)


def test_an_unfinished_or_valid_run_config_loads(tmp_path: Path) -> None:
    from zipfian_envs.agents.cli import load_run_config

    path = tmp_path / "config.json"
    for doc in ({"argv": []}, FINISHED_CONFIG, {**FINISHED_CONFIG, "level": None, "novelty_bonus": 0}):
        path.write_text(json.dumps(doc))
        assert load_run_config(path) == doc
