"""Every CLI answers bad input with exit code 2 and one line on stderr, never a traceback (issue 27).

Each case runs the CLI as a user does, in a subprocess. The interruption tests send SIGINT mid-run
and check that what is left is either the old complete result or a folder no reader accepts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "results" / "Gridworld-v0_zipf_2_random_seed0.json"
TRAIN = ["zipfian_envs.agents.train", "--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64"]
EVAL = ["zipfian_envs.evaluation.cli", "--episodes", "2", "--no-plot", "--no-progress"]
SWEEP = ["zipfian_envs.agents.sweep", "--dry-run", "--steps", "64"]
PLAY = ["zipfian_envs.tools.play", "Gridworld-v0"]
BOARD = ["zipfian_envs.evaluation.leaderboard"]
MERGE = ["zipfian_envs.agents.results", "--out", "merged"]


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "dummy", "PYTHONUNBUFFERED": "1"}
    env.pop("PYTHONWARNINGS", None)
    return env


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the files the bad inputs point at: a plain file, a used run folder, broken results."""
    root = tmp_path_factory.mktemp("cli")
    (root / "a_file").write_text("not a folder")
    (root / "used").mkdir()
    (root / "used" / "config.json").write_text("{}")
    doc = json.loads(RESULT.read_text())
    for name, change in (("five", ("rare_success", 5.0)), ("nan", ("rare_common_ratio", float("nan")))):
        doc_copy = json.loads(json.dumps(doc))
        doc_copy["headline"][change[0]] = change[1]
        (root / f"{name}.json").write_text(json.dumps(doc_copy))
    missing = json.loads(json.dumps(doc))
    del missing["headline"]
    (root / "no_headline.json").write_text(json.dumps(missing))
    (root / "cut.json").write_text(RESULT.read_text()[:500])
    records = (ROOT / "results" / "records" / "Gridworld-v0_zipf_2_random_seed0.csv").read_bytes()
    (root / "cut.csv").write_bytes(records[: len(records) // 2 + 7])
    for folder, text in (("runs_cut", '{"env": "Zipfian/Gridworld-v0", "trai'), ("runs_list", "[1, 2]"),
                         ("runs_shape", '{"training": {"steps": 64}, "env": 3}')):  # fmt: skip
        (root / folder / "run").mkdir(parents=True)
        (root / folder / "run" / "config.json").write_text(text)
    (root / "runs_cut" / "run" / "model.zip").write_bytes(b"")
    (root / "garbage.toml").write_bytes(b"\x8b\x00\xff binary")
    (root / "flag.toml").write_text('[grid]\nalgo = ["ppo"]\n[train]\nsteps = 64\nstochastic_eval = "yes"\n')
    (root / "shared").mkdir()  # a --results-dir that holds the result a default PPO run would write
    (root / "shared" / "Gridworld-v0_zipf_2_ppo-symbolic_seed0.json").write_bytes(RESULT.read_bytes())
    return root


CASES = {
    # zipfian-train
    "train unknown hp": ([*TRAIN, "--out", "r", "--hp", "foo=1"], "unknown --hp key 'foo'"),
    "train gamma 5": ([*TRAIN, "--out", "r", "--hp", "gamma=5"], "gamma must be in (0.0, 1.0]"),
    "train learning rate": ([*TRAIN, "--out", "r", "--hp", "learning_rate=0"], "learning_rate must be > 0"),
    "train n_steps": ([*TRAIN, "--out", "r", "--hp", "n_steps=-3"], "n_steps must be >= 1"),
    "train mistyped hp": ([*TRAIN, "--out", "r", "--hp", "gamma"], "KEY=VALUE"),
    "train seed": ([*TRAIN, "--out", "r", "--seed", "-1"], "--seed must be >= 0"),
    "train device": ([*TRAIN, "--out", "r", "--device", "nope"], "--device must be one of auto, cpu"),
    "train out is a file": ([*TRAIN, "--out", "a_file"], "is a file"),
    "train used out": ([*TRAIN, "--out", "used"], "--resume to continue that run, --overwrite"),
    "train steps": (["zipfian_envs.agents.train", "--algo", "ppo", "--steps", "-5", "--out", "r"], "--steps must be"),
    "train algo": (["zipfian_envs.agents.train", "--algo", "nope", "--steps", "5", "--out", "r"], "invalid choice"),
    "train level": ([*TRAIN, "--out", "r", "--level", "zipf_minus"], "zipf_minus"),
    "train resume broken config": ([*TRAIN, "--out", "runs_cut/run", "--resume", "runs_cut/run/model.zip"],
                                   "runs_cut/run/config.json: not a readable JSON file"),
    "train results-dir taken": ([*TRAIN, "--out", "r", "--results-dir", "shared"],
                                "already holds Gridworld-v0_zipf_2_ppo-symbolic_seed0.json"),
    "train results-dir is a file": ([*TRAIN, "--out", "r", "--results-dir", "a_file"], "a_file is a file"),
    "train n-envs huge": ([*TRAIN, "--out", "r", "--n-envs", "100000"], "--n-envs must be in 1..65536"),
    "train seed huge": ([*TRAIN, "--out", "r", "--seed", str(2**64)], "--seed must be in 0..4294967295"),
    "train rollout too big": ([*TRAIN, "--out", "r", "--hp", "n_steps=1000000000000"], "more than this machine's"),
    "train frame stack too big": ([*TRAIN, "--out", "r", "--frame-stack", "1000000"], "more than this machine's"),
    "train replay too big": ([*TRAIN, "--algo", "dqn", "--out", "r", "--hp", "buffer_size=10**11"], "an integer"),
    "train replay too big int": ([*TRAIN, "--algo", "dqn", "--out", "r", "--hp", "buffer_size=100000000000"],
                                 "replay buffer of buffer_size=100000000000"),
    "train net too big": ([*TRAIN, "--out", "r", "--hp", "policy_kwargs={'net_arch': [100000000]}"],
                          "ppo rejects these settings"),
    "train resume not a model": ([*TRAIN, "--out", "r", "--resume", "a_file"], "wasn't a zip-file"),
    "train empty out": ([*TRAIN, "--out", ""], "argument --out: empty path"),
    "train empty results-dir": ([*TRAIN, "--out", "r", "--results-dir", ""], "argument --results-dir: empty path"),
    "train final episodes huge": ([*TRAIN, "--out", "r", "--final-episodes", str(10**12)], "at most 100,000,000"),
    "train rank floor huge": ([*TRAIN, "--out", "r", "--min-episodes-per-rank", str(10**10)], "at most 100,000,000"),
    "train env size": ([*TRAIN, "--out", "r", "--env-kwarg", "num_maps=100000000"], "num_maps"),
    "train one-step rollout": ([*TRAIN, "--out", "r", "--n-envs", "1", "--hp", "n_steps=1"], "n_steps * n_envs >= 2"),
    "train minibatch of one": ([*TRAIN, "--out", "r", "--hp", "batch_size=1"], "batch_size >= 2"),
    "train hp bool": ([*TRAIN, "--out", "r", "--hp", "normalize_advantage=no"], "must be True or False, got 'no'"),
    "train hp nan": ([*TRAIN, "--out", "r", "--hp", "gamma=nan"], "gamma must be a finite number"),
    "train hp inf": ([*TRAIN, "--out", "r", "--hp", "learning_rate=inf"], "learning_rate must be a finite number"),
    "train hp list": ([*TRAIN, "--out", "r", "--hp", "n_epochs=[1, 2]"], "n_epochs must be an integer"),
    "train hp text": ([*TRAIN, "--out", "r", "--hp", "target_kl=abc"], "target_kl must be a finite number"),
    "train hp class": ([*TRAIN, "--out", "r", "--hp", "rollout_buffer_class=x"], "cannot give"),
    "train policy_kwargs": ([*TRAIN, "--out", "r", "--hp", "policy_kwargs={'net_arch': 'x'}"], "ppo rejects these"),
    "train episodic train_freq": ([*TRAIN, "--algo", "dqn", "--out", "r", "--hp", "train_freq=(1, 'episode')"],
                                  "works with one env only"),
    # zipfian-eval
    "eval seed": ([*EVAL, "--seed", "-1"], "--seed must be >= 0, got -1"),
    "eval episodes": ([*EVAL, "--episodes", "0"], "--episodes must be >= 1, got 0"),
    "eval env": ([*EVAL, "--env", "Zipfian/Nope-v0"], "Nope"),
    "eval level": ([*EVAL, "--level", "zipf_minus"], "zipf_minus"),
    "eval out is a file": ([*EVAL, "--out", "a_file"], "is a file"),
    "eval model missing": ([*EVAL, "--policy", "missing.zip"], "missing.zip"),
    "eval confidence": ([*EVAL, "--confidence", "2"], "--confidence"),
    "eval cut records": ([*EVAL, "--from-records", "cut.csv"], "cut.csv:"),
    "eval protocol": ([*EVAL, "--protocols", "nope"], "invalid choice"),
    "eval empty out": ([*EVAL, "--out", ""], "--out is empty"),
    "eval out under a file": ([*EVAL, "--out", "a_file/sub"], "a_file is a file, not a folder"),
    "eval empty policy": ([*EVAL, "--policy", ""], "--policy has an empty value"),
    "eval too many episodes": ([*EVAL, "--episodes", str(10**12)], "at most 100,000,000 a protocol"),
    "eval rank floor huge": ([*EVAL, "--min-episodes-per-rank", str(10**10)], "at most 100,000,000 a protocol"),
    "eval algo form": ([*EVAL, "--policy", "a_file", "--algo", ":"], "give module:Class"),
    "eval result as records": ([*EVAL, "--from-records", "five.json"], "a .json file is not a records file"),
    # zipfian-leaderboard
    "board markdown folder": ([*BOARD, str(RESULT), "--markdown", "used"], "--markdown used is a folder"),
    "board empty csv": ([*BOARD, str(RESULT), "--csv", ""], "--csv is empty"),
    "board plot type": ([*BOARD, str(RESULT), "--plot", "plot"], "unknown file type '(none)'; valid: .png"),
    "board markdown under a file": ([*BOARD, str(RESULT), "--markdown", "a_file/x.md"], "a_file is a file"),
    "board missing file": ([*BOARD, "absent.json"], "result file not found"),
    "board success 5": ([*BOARD, "five.json"], "headline.rare_success"),
    "board nan": ([*BOARD, "nan.json"], "headline.rare_common_ratio must be finite"),
    "board missing key": ([*BOARD, "no_headline.json"], "field headline is missing"),
    "board cut json": ([*BOARD, "cut.json"], "not a JSON file"),
    "board same file twice": ([*BOARD, str(RESULT), str(RESULT)], "give each result once"),
    "board flag": ([*BOARD, "--nope"], "arguments are required: results"),
    # the results merge (python -m zipfian_envs.agents.results): a run folder's config.json
    "merge cut config": ([*MERGE, "--runs", "runs_cut"], "runs_cut/run/config.json: not a readable JSON file"),
    "merge config list": ([*MERGE, "--runs", "runs_list"], "a run config is a JSON object, got list"),
    "merge config field": ([*MERGE, "--runs", "runs_shape"], "config.json: field env must be str, got 3"),
    "merge bad regex": ([*MERGE, "--runs", ".", "--only", "["], "bad regular expression"),
    # zipfian-sweep
    "sweep algo": ([*SWEEP, "--algo", "nope"], "invalid choice: 'nope'"),
    "sweep env": ([*SWEEP, "--algo", "ppo", "--env", "Zipfian/Nope-v0"], "unknown env id"),
    "sweep level": ([*SWEEP, "--algo", "ppo", "--level", "zipf_minus"], "zipf_minus"),
    "sweep steps": (["zipfian_envs.agents.sweep", "--dry-run", "--algo", "ppo", "--steps", "-5"], "--steps must be"),
    "sweep cpus": ([*SWEEP, "--algo", "ppo", "--cpus-per-trial", "0"], "--cpus-per-trial must be a number > 0"),
    "sweep seeds": ([*SWEEP, "--algo", "ppo", "--seeds", "-1"], "--seed must be >= 0"),
    "sweep config": (["zipfian_envs.agents.sweep", "missing.toml"], "config file not found"),
    "sweep binary config": (["zipfian_envs.agents.sweep", "--dry-run", "garbage.toml"], "not a readable text file"),
    "sweep flag value": (["zipfian_envs.agents.sweep", "--dry-run", "flag.toml"],
                         "[train] stochastic_eval is an on/off flag: give true or false, got 'yes'"),
    "sweep empty out": ([*SWEEP, "--algo", "ppo", "--out", ""], "argument --out: empty path"),
    "sweep seed huge": ([*SWEEP, "--algo", "ppo", "--seeds", str(2**64)], "--seed must be in 0..4294967295"),
    # zipfian-play
    "play seed": ([*PLAY, "--seed", "-1"], "--seed must be >= 0"),
    "play scale": ([*PLAY, "--scale", "0"], "--scale must be in 1..32"),
    "play id": (["zipfian_envs.tools.play", "Nope-v0"], "unknown environment id"),
    "play seed type": ([*PLAY, "--seed", "x"], "invalid int value"),
    "play empty level": ([*PLAY, "--level", ""], "unknown distribution ''"),
    "play record under a file": ([*PLAY, "--record", "a_file/x.csv"], "a_file is a file, not a folder"),
    "play record as json": ([*PLAY, "--record", "human.json"], "name the file .csv or .jsonl"),
    "play record holds episodes": ([*PLAY, "--record", "cut.csv"], "already holds episodes; pass --overwrite"),
}


@pytest.fixture(scope="module")
def outcomes(work: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case's run, a few at a time (each CLI process spends most of its second importing)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {case: pool.submit(_cli, args, work) for case, (args, _) in CASES.items()}
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_one_line(
    case: str, work: Path, outcomes: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    expected = CASES[case][1]
    result = outcomes[case]
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (case, result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, (case, lines)
    assert expected in lines[0], (case, lines[0])
    assert not (work / "r").exists()  # refused before any work: no run folder made


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the subprocess")
        time.sleep(0.05)


def test_sigint_mid_training_leaves_a_marked_folder_no_reader_accepts_and_resume_finishes_it(tmp_path: Path) -> None:
    from zipfian_envs.agents import results, sweep
    from zipfian_envs.core.files import MARKER
    from zipfian_envs.evaluation.errors import SchemaError
    from zipfian_envs.evaluation.report import load_result

    out = tmp_path / "run"
    args = [*TRAIN[:-1], "10000000", "--n-envs", "2", "--hp", "n_steps=16", "--out", str(out), "--no-progress",
            "--final-episodes", "4", "--checkpoint-every", "0"]  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", *args], env=_env(), stderr=subprocess.PIPE, text=True,
                               stdout=subprocess.DEVNULL)  # fmt: skip
    _wait_for(lambda: (out / "progress.csv").is_file() and (out / "progress.csv").stat().st_size > 0)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("zipfian-train: interrupted at") and "--resume" in last
    assert (out / MARKER).is_file()
    checkpoint = next((out / "checkpoints").glob("model_*_steps.zip"))
    # What a reader does with the folder: no result in it counts, the sweep and the merge skip it.
    (out / "fake.json").write_bytes(RESULT.read_bytes())  # even a valid result placed there is refused
    with pytest.raises(SchemaError, match="incomplete run"):
        load_result(out / "fake.json")
    (out / "fake.json").unlink()
    assert not sweep.is_finished(out) and results.find_runs(tmp_path) == []

    steps = int(checkpoint.stem.split("_")[1])
    resumed = _cli([*TRAIN[:-1], str(steps + 32), "--n-envs", "2", "--out", str(out), "--resume", str(checkpoint),
                    "--no-progress", "--final-episodes", "4", "--checkpoint-every", "0"], tmp_path)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not (out / MARKER).exists()
    assert load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))["policy"]


def test_sigint_mid_evaluation_keeps_the_old_result_whole(tmp_path: Path) -> None:
    from zipfian_envs.core.records import load_records
    from zipfian_envs.evaluation.report import load_result

    first = _cli([*EVAL, "--out", str(tmp_path)], tmp_path)
    assert first.returncode == 0, first.stderr
    result_path = next(tmp_path.glob("*.json"))
    records_path = next((tmp_path / "records").glob("*.csv"))
    before = (result_path.read_bytes(), records_path.read_bytes())
    args = ["zipfian_envs.evaluation.cli", "--episodes", "1000000", "--no-plot", "--out", str(tmp_path), "--overwrite"]
    process = subprocess.Popen([sys.executable, "-m", *args], env=_env(), stderr=subprocess.PIPE, text=True,
                               stdout=subprocess.DEVNULL)  # fmt: skip
    assert process.stderr is not None
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.append(process.stderr.read(1) if process.stderr else ""))
    reader.start()
    reader.join(timeout=60)  # the progress bar's first character: the episodes are running
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "zipfian-eval: interrupted"
    assert (result_path.read_bytes(), records_path.read_bytes()) == before  # nothing new, the old result whole
    assert load_result(result_path) and load_records(records_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([result_path.name, "records"])
