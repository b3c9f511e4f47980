"""The README's Playroom pictures: ``python -m zipfian_envs.playroom.pictures [folder]`` (default ``docs``).

Writes ``playroom_view.png`` (five first-person frames of one oracle episode of
``put/put_on_bed_tray_all``, scaled x3) and ``playroom_topdown.png`` (the same room from above at
the episode's start). Needs Pillow (installed with the ``eval`` extra's matplotlib).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from zipfian_envs.playroom.env import PlayroomEnv, top_down_frame

LEVEL = "put/put_on_bed_tray_all"
SEED = 1
FRAMES = 5
SCALE = 3


def episode_pictures(level: str = LEVEL, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, str]:
    """(strip of first-person frames, top-down map at the start, instruction) of one oracle episode."""
    env = PlayroomEnv(level)
    obs, info = env.reset(seed=seed)
    top = top_down_frame(env.state, env.camera)  # the room at its own size, not render()'s fixed canvas
    frames = [obs["image"]]
    while True:
        obs, _, terminated, truncated, _ = env.step(env.oracle_action())
        frames.append(obs["image"])
        if terminated or truncated:
            break
    picks = [frames[int(i)] for i in np.linspace(0, len(frames) - 1, FRAMES)]
    return np.concatenate(picks, axis=1), top, info["instruction_text"]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m zipfian_envs.playroom.pictures", description=__doc__.splitlines()[0]
    )
    parser.add_argument("folder", nargs="?", default="docs", type=Path)
    args = parser.parse_args(argv)
    from PIL import Image

    strip, top, instruction = episode_pictures()
    args.folder.mkdir(parents=True, exist_ok=True)
    view = Image.fromarray(strip).resize((strip.shape[1] * SCALE, strip.shape[0] * SCALE), Image.Resampling.NEAREST)
    view.save(args.folder / "playroom_view.png")
    Image.fromarray(top).save(args.folder / "playroom_topdown.png")
    print(f"{args.folder}/playroom_view.png, {args.folder}/playroom_topdown.png: {instruction!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
