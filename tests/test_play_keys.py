"""gymnasium.utils.play on every family: key maps as get_keys_to_action, a documented noop, action meanings."""

import json
import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest

from zipfian_envs.core import human

pygame = pytest.importorskip("pygame")

# One env per family (a pinned Labyrinth level loads one level, not thirty), and the continuous Playroom.
CASES = {
    "gridworld": ("Zipfian/Gridworld-v0", {}),
    "symbolic": ("Zipfian/Gridworld-Symbolic-v0", {}),
    "labyrinth": ("Zipfian/Labyrinth-v0", {"level": "language_select_described_object"}),
    "playroom": ("Zipfian/Playroom-v0", {}),
    "playroom_continuous": ("Zipfian/Playroom-v0", {"action_mode": "continuous"}),
}


def env_commands(action):
    """The Playroom's five controls of a discrete action."""
    from zipfian_envs.playroom import rules

    return rules.ACTION_COMMANDS[action].astype(np.float32)


@pytest.mark.parametrize("case", sorted(CASES))
def test_keys_to_action_follow_the_key_map(case):
    env_id, kwargs = CASES[case]
    env = gym.make(env_id, render_mode="rgb_array", **kwargs).unwrapped
    keys = env.get_keys_to_action()
    assert len(keys) == len(env.key_map)
    for name, (action, _) in env.key_map.items():
        code = human.key_code(pygame, name)
        assert pygame.key.name(code) == name
        mapped = keys[(code,)]
        if kwargs.get("action_mode") == "continuous":  # the discrete action's five controls
            assert mapped.dtype == np.float32
            np.testing.assert_array_equal(mapped, env_commands(action))
        else:
            assert mapped == action
        assert mapped in env.action_space
    assert env.play_noop in env.action_space


@pytest.mark.parametrize("case", ["gridworld", "labyrinth", "playroom"])
def test_action_meanings_name_every_discrete_action(case):
    env_id, kwargs = CASES[case]
    env = gym.make(env_id, **kwargs).unwrapped
    meanings = env.get_action_meanings()
    assert len(meanings) == env.action_space.n and all(isinstance(m, str) and m for m in meanings)
    assert meanings == list(env.action_names)


def test_noops_are_the_documented_actions():
    playroom = gym.make("Zipfian/Playroom-v0").unwrapped
    assert playroom.get_action_meanings()[playroom.play_noop] == "noop"
    lab = gym.make(CASES["labyrinth"][0], **CASES["labyrinth"][1]).unwrapped
    assert lab.get_action_meanings()[lab.play_noop] == "fire"
    assert gym.make("Zipfian/Gridworld-v0").unwrapped.play_noop == 0


def test_continuous_playroom_has_no_action_meanings():
    env = gym.make("Zipfian/Playroom-v0", action_mode="continuous").unwrapped
    with pytest.raises(ValueError, match="continuous"):
        env.get_action_meanings()


def test_an_unknown_key_name_is_refused_with_the_name():
    with pytest.raises(ValueError, match="'no-such-key'"):
        human.key_code(pygame, "no-such-key")


# Drives the real gymnasium.utils.play loop headless: the callback presses a key after two steps,
# releases it after four and closes the window (a QUIT event) after six; play's own loop does the rest.
PLAY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import gymnasium as gym
    import numpy as np
    import pygame
    import zipfian_envs
    from gymnasium.utils.play import play

    env_id, kwargs = sys.argv[1], json.loads(sys.argv[2])
    env = gym.make(env_id, render_mode="rgb_array", **kwargs)
    base = env.unwrapped
    name = next(iter(base.key_map))
    key = next(k[0] for k in base.get_keys_to_action() if pygame.key.name(k[0]) == name)
    taken, shapes = [], set()

    def callback(obs, next_obs, act, reward, terminated, truncated, info):
        taken.append(np.asarray(act).tolist())
        shapes.add(env.render().shape)
        if len(taken) == 2:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
        if len(taken) == 4:
            pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key))
        if len(taken) == 6:
            pygame.event.post(pygame.event.Event(pygame.QUIT))

    play(env, noop=base.play_noop, fps=1000, seed=0, callback=callback)
    print(json.dumps({"taken": taken, "noop": np.asarray(base.play_noop).tolist(),
                      "pressed": np.asarray(base.get_keys_to_action()[(key,)]).tolist(), "shapes": sorted(shapes)}))
    """
)


@pytest.mark.parametrize("case", ["gridworld", "labyrinth", "playroom", "playroom_continuous"])
def test_gymnasium_play_runs_headless_with_the_noop_and_the_keys(case):
    env_id, kwargs = CASES[case]
    environ = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "MPLBACKEND": "Agg"}
    environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", PLAY_SCRIPT, env_id, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    noop, pressed = out["noop"], out["pressed"]
    assert out["taken"] == [noop, noop, pressed, pressed, noop, noop]
    assert len(out["shapes"]) == 1
