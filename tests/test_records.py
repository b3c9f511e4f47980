"""The shared per-episode record format (zipfian_envs.core.records): column order, types, bad files."""

from __future__ import annotations

import pytest

from zipfian_envs.core.records import RECORD_KEYS, RecordError, columns, load_records, save_records

RECORD = {
    "env_id": "Zipfian/Gridworld-v0", "level": "zipf_2", "protocol": "rare", "seed": 4, "episode": 1,
    "item": "red_ex", "item_rank": 17, "num_items": 20, "frequency_bin": "rare", "map_rank": None,
    "return": 0.5, "length": 12, "success": True,
}  # fmt: skip


def test_columns_put_policy_and_train_seed_first_then_standard_then_sorted_extras():
    rows = [{"zeta": 1, **RECORD}, {"alpha": 2, "train_seed": 3, "policy": "ppo", **RECORD}]
    assert columns(rows) == ["policy", "train_seed", *RECORD_KEYS, "alpha", "zeta"]
    assert columns([]) == []


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_round_trip_restores_types_and_none(suffix, tmp_path):
    second = {**RECORD, "episode": 2, "success": False, "map_rank": 3, "return": -0.25}
    path = save_records([RECORD, second], tmp_path / "deep" / f"r{suffix}", policy="human")
    assert path == tmp_path / "deep" / f"r{suffix}"
    assert load_records(path) == [{"policy": "human", **RECORD}, {"policy": "human", **second}]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no scratch file left behind


def test_saving_again_replaces_the_whole_file(tmp_path):
    path = tmp_path / "r.csv"
    save_records([RECORD, RECORD], path)
    save_records([RECORD], path)
    assert len(load_records(path)) == 1


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [("length", "twelve", "not a number"), ("return", "x", "not a number"), ("success", "maybe", "not one of")],
)
def test_bad_csv_values_name_the_file_line_column_and_value(column, text, message, tmp_path):
    path = tmp_path / "bad.csv"
    save_records([RECORD, {**RECORD, column: text}], path)
    with pytest.raises(RecordError, match=rf"bad\.csv:3: column '{column}' has '{text}', {message}"):
        load_records(path)


def test_missing_file_and_broken_json_lines_raise_record_errors(tmp_path):
    with pytest.raises(RecordError, match="records file not found"):
        load_records(tmp_path / "absent.csv")
    path = tmp_path / "bad.jsonl"
    path.write_text('{"episode": 0}\n\n{"episode": \n')
    with pytest.raises(RecordError, match=r"bad\.jsonl:3: not JSON"):
        load_records(path)
    assert issubclass(RecordError, ValueError)  # the CLIs map ValueError to a one-line message, exit 2
