"""The pygame viewer, driven headless (SDL dummy driver) with synthetic key events."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from zipfian_envs.core import records
from zipfian_envs.tools import play

pygame = pytest.importorskip("pygame")

ENV_ID = "Zipfian/Gridworld-v0"


class FakeClock:
    """A settable clock so key-repeat timing is exact."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class CounterEnv(gym.Env):
    """A made-up env with its own key map, a Dict observation and an instruction: no viewer change needed."""

    metadata = {"render_modes": ["rgb_array"]}
    action_names = ("wait", "poke")
    key_map = {"space": (0, "wait"), "x": (1, "poke")}

    def __init__(self, limit: int = 50) -> None:
        self.limit = limit
        self.observation_space = spaces.Dict({"image": spaces.Box(0, 255, (8, 8, 3), np.uint8)})
        self.action_space = spaces.Discrete(2)
        self.render_mode = "rgb_array"
        self.count = 0

    def _obs(self) -> dict:
        image = np.zeros((8, 8, 3), np.uint8)
        image[:, :4] = (200, 30, 30)
        image[:, 4:] = (10 * self.count % 256, 90, 160)
        return {"image": image}

    def _info(self) -> dict:
        return {"instruction_text": "poke the box", "item": "box", "item_rank": 1, "num_items": 1,
                "frequency_bin": "common", "level": "uniform"}  # fmt: skip

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.count = 0
        return self._obs(), self._info()

    def step(self, action):
        self.count += 1
        poked = int(action) == 1
        info = self._info()
        done = poked or self.count >= self.limit
        if done:
            info["success"] = poked
        return self._obs(), float(poked), poked, self.count >= self.limit and not poked, info

    def render(self):
        return np.full((16, 16, 3), 70, np.uint8)


def key_event(name: str, kind: int | None = None):
    """A synthetic KEYDOWN (or ``kind``) event for a pygame key name."""
    return pygame.event.Event(pygame.KEYDOWN if kind is None else kind, key=pygame.key.key_code(name))


def key_for(viewer: play.Viewer, action: int) -> str:
    """The first key name that the env's key_map binds to ``action``."""
    return next(name for name, (act, _) in viewer.key_map.items() if act == action)


def oracle_events(viewer: play.Viewer, episodes: int):
    """Events that play ``episodes`` episodes with the env's oracle, then press Esc (made lazily, per frame)."""
    while len(viewer.records) < episodes:
        if viewer.done:
            yield key_event("r")
            continue
        name = key_for(viewer, viewer.env.unwrapped.oracle_action())
        yield key_event(name)
        yield key_event(name, pygame.KEYUP)
    yield key_event("escape")


def region(path, rect, step: int) -> np.ndarray:
    """Pixels of ``rect`` in a saved screenshot, sampled every ``step`` pixels (rows, cols, rgb)."""
    pixels = pygame.surfarray.array3d(pygame.image.load(str(path))).transpose(1, 0, 2)
    return pixels[rect.top : rect.bottom : step, rect.left : rect.right : step]


@pytest.fixture
def env():
    environment = gym.make(ENV_ID, render_mode="rgb_array")
    yield environment
    environment.close()


@pytest.fixture
def viewer(env):
    view = play.Viewer(env, env_id=ENV_ID, seed=0, fps=0, clock=FakeClock())
    yield view
    view.close()


def test_screenshot_shows_the_observation_and_the_map(viewer, tmp_path):
    reference = gym.make(ENV_ID, render_mode="rgb_array")
    obs, _ = reference.reset(seed=0)
    frame = reference.render()
    viewer.draw()
    path = tmp_path / "shot.png"
    viewer.screenshot(path)
    assert pygame.image.load(str(path)).get_size() == viewer.size
    assert viewer.size[0] >= viewer.map_rect.right and viewer.size[1] >= viewer.panel_rect.bottom
    shown = region(path, viewer.obs_rect, viewer.scale)
    assert shown.shape == obs.shape
    np.testing.assert_array_equal(shown, obs)
    assert len(np.unique(shown.reshape(-1, 3), axis=0)) > 3  # walls, floor, agent, objects: not a blank frame
    zoom = viewer.map_rect.height // frame.shape[0]
    np.testing.assert_array_equal(region(path, viewer.map_rect, zoom), frame)


def test_playing_with_keys_follows_the_env_and_records_episodes(env, tmp_path):
    path = tmp_path / "human.csv"
    view = play.Viewer(env, env_id=ENV_ID, seed=7, fps=0, record_path=path)
    try:
        frames = view.run(max_frames=2000, events=oracle_events(view, 3))
    finally:
        view.close()
    assert not view.running and frames < 2000
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == ("policy", *records.RECORD_KEYS)
        rows = list(reader)
    assert len(rows) == 3
    reference = gym.make(ENV_ID, render_mode="rgb_array")
    for episode, row in enumerate(rows):
        _, info = reference.reset(seed=7 + episode)
        assert (row["policy"], row["env_id"], row["protocol"], row["level"]) == ("human", ENV_ID, "human", "zipf_2")
        assert int(row["seed"]) == 7 + episode and int(row["episode"]) == episode
        assert row["item"] == info["item"] and int(row["item_rank"]) == info["item_rank"]
        assert int(row["map_rank"]) == info["map_rank"] and row["frequency_bin"] == info["frequency_bin"]
        assert row["success"] == "True" and float(row["return"]) == 1.0 and int(row["length"]) >= 1
    assert sum(total for _, total in view.tally.values()) == 3


def test_records_as_json_lines(tmp_path):
    record = play.episode_record(ENV_ID, "zipf_2", 3, 0, {"item": "red_ex", "item_rank": 2, "success": True}, 1, 4)
    assert sorted(record) == sorted(records.RECORD_KEYS)  # every standard key, nothing else
    records.save_records([record], tmp_path / "h.jsonl", policy=play.PROTOCOL)
    (line,) = (tmp_path / "h.jsonl").read_text().splitlines()
    loaded = json.loads(line)
    assert list(loaded) == ["policy", *records.RECORD_KEYS]
    assert loaded["success"] is True and loaded["length"] == 4 and loaded["protocol"] == "human"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_recorded_episodes_load_back_with_their_types(suffix, env, tmp_path):
    path = tmp_path / f"human{suffix}"
    view = play.Viewer(env, env_id=ENV_ID, seed=2, fps=0, record_path=path)
    try:
        view.run(max_frames=1000, events=oracle_events(view, 2))
    finally:
        view.close()
    loaded = records.load_records(path)
    assert loaded == [{"policy": "human", **record} for record in view.records]
    assert len(loaded) == 2 and not list(tmp_path.glob("*.tmp"))  # the scratch file was renamed away


def test_r_starts_the_next_episode(viewer):
    viewer.handle_event(key_event(key_for(viewer, viewer.env.unwrapped.oracle_action())))
    assert viewer.steps == 1
    viewer.handle_event(key_event("r"))
    assert (viewer.episode, viewer.seed, viewer.steps, viewer.done) == (1, 1, 0, False)
    reference = gym.make(ENV_ID, render_mode="rgb_array")
    obs, _ = reference.reset(seed=1)
    np.testing.assert_array_equal(viewer.obs, obs)
    assert len(viewer.records) == 1 and viewer.records[0]["success"] is False  # abandoned = failed
    assert viewer.records[0]["length"] == 1


def test_p_pauses_and_no_step_happens_while_paused(viewer):
    name = key_for(viewer, viewer.env.unwrapped.oracle_action())
    viewer.handle_event(key_event("p"))
    before = viewer.obs.copy()
    viewer.handle_event(key_event(name))
    viewer.now.t = 5.0
    viewer.tick()
    assert viewer.paused and viewer.steps == 0
    np.testing.assert_array_equal(viewer.obs, before)
    assert "PAUSED" in viewer.panel_lines()[4][0]
    assert not viewer.act(0) and viewer.steps == 0  # the step path itself refuses, not only the key handler
    viewer.handle_event(key_event("p"))
    viewer.handle_event(key_event(name))
    assert not viewer.paused and viewer.steps == 1


def test_h_toggles_the_help_overlay(viewer, tmp_path):
    viewer.draw()
    viewer.screenshot(tmp_path / "plain.png")
    viewer.handle_event(key_event("h"))
    assert viewer.show_help
    viewer.draw()
    viewer.screenshot(tmp_path / "help.png")
    plain, helped = (pygame.surfarray.array3d(pygame.image.load(str(tmp_path / n))) for n in ("plain.png", "help.png"))
    assert not np.array_equal(plain, helped)
    text = "\n".join(viewer.help_lines())
    for label in ("north-east: E", "west: Left / A", "Esc: quit", "R: next episode"):
        assert label in text
    viewer.handle_event(key_event("h"))
    assert not viewer.show_help


def test_escape_exits_the_loop(viewer):
    assert viewer.run(max_frames=100, events=[None, None, key_event("escape")]) == 2
    assert not viewer.running


def test_closing_the_window_exits_the_loop(viewer):
    assert viewer.run(max_frames=3) == 3 and viewer.running  # idle frames keep pumping and return
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert viewer.run(max_frames=100) == 0
    assert not viewer.running


def test_a_held_key_repeats_at_a_fixed_rate():
    env = CounterEnv()
    view = play.Viewer(env, env_id="Counter-v0", seed=None, fps=0, clock=FakeClock())
    try:
        view.handle_event(key_event("space"))
        assert view.steps == 1
        for t, expected in ((0.2, 1), (0.25, 2), (0.3, 2), (0.375, 3), (0.5, 4)):
            view.now.t = t
            view.tick()
            assert view.steps == expected, t
        view.handle_event(key_event("space", pygame.KEYUP))
        view.now.t = 2.0
        view.tick()
        assert view.steps == 4
    finally:
        view.close()


def test_a_new_env_plugs_in_through_its_key_map(tmp_path):
    env = CounterEnv()
    view = play.Viewer(env, env_id="Counter-v0", seed=3, scale=5, fps=0)
    try:
        assert view.panel_lines()[0][0] == "Instruction: poke the box"
        view.handle_event(key_event("x"))
        assert view.done and view.records[0]["success"] and view.records[0]["map_rank"] is None
        view.draw()
        view.screenshot(tmp_path / "counter.png")
        np.testing.assert_array_equal(region(tmp_path / "counter.png", view.obs_rect, 5), env._obs()["image"])
        view.handle_event(key_event("space"))  # a move key after the end starts the next episode
        assert (view.episode, view.steps, view.done) == (1, 0, False)
    finally:
        view.close()


def test_a_key_map_that_takes_a_viewer_key_is_refused():
    env = CounterEnv()
    env.key_map = {"p": (1, "poke")}
    with pytest.raises(ValueError, match="viewer's own keys"):
        play.Viewer(env, env_id="Counter-v0", fps=0)


def test_cli_plays_and_records(tmp_path, monkeypatch, capsys):
    original = play.Viewer.run

    def scripted(self, max_frames=None, events=None):
        return original(self, max_frames=2000, events=oracle_events(self, 1))

    monkeypatch.setattr(play.Viewer, "run", scripted)
    path = tmp_path / "cli.csv"
    assert play.main(["Gridworld-v0", "--level", "uniform", "--seed", "5", "--scale", "2", "--record", str(path)]) == 0
    with path.open(newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["env_id"], row["level"], row["seed"]) == (ENV_ID, "uniform", "5")
    assert "1 episode(s) written" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["Zipfian/Nope-v0"], "unknown environment id"), ([ENV_ID, "--level", "zipf_x"], "cannot make")],
)
def test_cli_rejects_bad_ids_and_levels_in_one_line(argv, message, capsys):
    assert play.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_without_pygame_prints_the_install_hint(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pygame", None)  # makes `import pygame` fail
    assert play.main([ENV_ID]) == 1
    err = capsys.readouterr().err
    assert "pip install" in err and "zipfian-envs[viewer]" in err and len(err.strip().splitlines()) == 1


def test_python_dash_m_exits_non_zero_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "zipfian_envs.tools.play", "Zipfian/Nope-v0"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.startswith("zipfian-play: unknown environment id")


def test_human_play_becomes_a_leaderboard_entry(tmp_path, capsys):
    evaluation_cli = pytest.importorskip("zipfian_envs.evaluation.cli")
    leaderboard = pytest.importorskip("zipfian_envs.evaluation.leaderboard")
    files = []
    for level in ("zipf_2", "uniform", "uniform_rare"):
        env = gym.make(ENV_ID, level=level, render_mode="rgb_array")
        path = tmp_path / f"human_{level}.csv"
        view = play.Viewer(env, env_id=ENV_ID, seed=0, fps=0, clock=FakeClock(), record_path=path)
        view.run(events=oracle_events(view, 3))
        view.close()
        files.append(str(path))
    out = tmp_path / "results"
    argv = ["--env", ENV_ID, "--level", "zipf_2", "--from-records", *files, "--out", str(out), "--no-plot"]
    assert evaluation_cli.main(argv) == 0
    (result_path,) = out.glob("*.json")
    result = json.loads(result_path.read_text())
    assert result["policy"] == "human"
    summaries = {p: entry["summary"] for p, entry in result["protocols"].items()}
    assert {p: s["episodes"] for p, s in summaries.items()} == {"zipfian": 3, "uniform": 3, "rare": 3}
    assert summaries["rare"]["success"]["success"] == 1.0
    capsys.readouterr()
    assert leaderboard.main([str(result_path)]) == 0
    assert "| human |" in capsys.readouterr().out
    # Records from another level than the training level fit no protocol: a clear refusal.
    assert evaluation_cli.main([*argv[:3], "zipf_1", *argv[4:]]) == 2
    assert "fit no protocol" in capsys.readouterr().err
