"""Atomic writes and run folders with one owner (issue 27): nothing half-written, nothing mixed, no reader fooled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zipfian_envs.core import files
from zipfian_envs.core.records import RecordError, load_records, save_records
from zipfian_envs.evaluation import cli
from zipfian_envs.evaluation.errors import SchemaError
from zipfian_envs.evaluation.report import load_result


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.atomic_write(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]  # no scratch file left behind


def test_atomic_save_keeps_the_suffix_for_path_writers(tmp_path: Path) -> None:
    seen: list[str] = []
    files.atomic_save(tmp_path / "plot.png", lambda p: (seen.append(p.suffix), p.write_bytes(b"png")))
    assert seen == [".png"] and (tmp_path / "plot.png").read_bytes() == b"png"


def test_a_used_run_folder_is_refused_unless_resume_or_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "run"
    files.claim_run_folder(out, tool="t", argv=[])
    (out / "config.json").write_text("{}")
    with pytest.raises(files.RunFolderError, match=r"--resume .* --overwrite"):
        files.claim_run_folder(out, tool="t", argv=[])
    files.claim_run_folder(out, tool="t", argv=[], resume=True)
    assert (out / "config.json").exists()
    files.claim_run_folder(out, tool="t", argv=[], overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [files.MARKER]
    files.finish_run_folder(out)
    assert not any(out.iterdir())


def test_overwrite_never_empties_a_folder_that_holds_no_run(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(files.RunFolderError, match="holds no run"):
        files.claim_run_folder(tmp_path, tool="t", argv=[], overwrite=True)
    assert (tmp_path / "thesis.tex").exists()
    with pytest.raises(files.RunFolderError, match="is a file"):
        files.claim_run_folder(tmp_path / "thesis.tex", tool="t", argv=[])


def _eval(out: Path, *extra: str) -> int:
    return cli.main(["--episodes", "3", "--num-envs", "1", "--protocols", "rare", "--no-plot", "--no-progress",
                     "--out", str(out), *extra])  # fmt: skip


def test_readers_refuse_files_in_an_incomplete_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _eval(tmp_path) == 0
    result_path = next(tmp_path.glob("*.json"))
    records_path = next((tmp_path / "records").glob("*.csv"))
    load_result(result_path), load_records(records_path)
    (tmp_path / files.MARKER).write_text("{}")  # what an interrupted run leaves
    with pytest.raises(SchemaError, match=f"{tmp_path} is an incomplete run"):
        load_result(result_path)
    with pytest.raises(RecordError, match=f"{tmp_path} is an incomplete run"):
        load_records(records_path)
    capsys.readouterr()
    from zipfian_envs.evaluation import leaderboard

    assert leaderboard.main([str(result_path)]) == 2
    assert "incomplete run" in capsys.readouterr().err


def test_a_second_eval_into_the_same_out_is_refused_before_it_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(tmp_path) == 0
    result_path = next(tmp_path.glob("*.json"))
    before = result_path.read_text()
    capsys.readouterr()
    assert _eval(tmp_path) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists; pass --overwrite" in err
    assert result_path.read_text() == before
    assert _eval(tmp_path, "--overwrite", "--seed", "0") == 0
    assert json.loads(result_path.read_text())["created_utc"]


def test_save_records_leaves_no_scratch_files(tmp_path: Path) -> None:
    save_records([{"env_id": "e", "success": True}], tmp_path / "r.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_results_dir_keeps_an_existing_result_unless_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zipfian_envs.agents import train

    shared = tmp_path / "shared"
    tiny = ["--algo", "ppo", "--obs-mode", "symbolic", "--env-kwarg", "rooms=1", "--env-kwarg", "num_objects=2",
            "--env-kwarg", "num_maps=1", "--steps", "32", "--n-envs", "2", "--hp", "n_steps=16",
            "--hp", "batch_size=32", "--final-episodes", "2", "--min-episodes-per-rank", "0",
            "--checkpoint-every", "0", "--no-progress",
            "--results-dir", str(shared)]  # fmt: skip
    assert train.main([*tiny, "--out", str(tmp_path / "a")]) == 0
    (result,) = shared.glob("*.json")
    before = result.read_bytes()
    with pytest.raises(SystemExit) as exit_info:  # a second run of the same name: refused before it trains
        train.main([*tiny, "--out", str(tmp_path / "b")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"already holds {result.name}" in err and "--overwrite" in err
    assert not (tmp_path / "b").exists() and result.read_bytes() == before
    assert train.main([*tiny, "--out", str(tmp_path / "b"), "--overwrite"]) == 0
    assert load_result(result)["training"] != json.loads(before)["training"]  # the newer run's result
    # --results-dir the same folder as --out: the run's own result, written once
    assert train.main([*tiny, "--out", str(tmp_path / "c"), "--results-dir", str(tmp_path / "c")]) == 0
