"""Animated WebPs of scripted-oracle episodes for the docs, drawn with ``render()``.

One clip per env family and per Labyrinth level, written to ``docs/assets/episodes/`` (committed;
CI does not run this), plus ``docs/assets/envs.png``, one frame of each family for the README.

    python scripts/make_gifs.py                      # everything (a few minutes on 2 cores)
    python scripts/make_gifs.py --only rooms_watermaze Gridworld
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import gymnasium as gym
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import zipfian_envs  # noqa: E402, F401  (registers the ids)
from zipfian_envs.labyrinth.levels import LEVEL_ORDER  # noqa: E402

OUT = ROOT / "docs" / "assets" / "episodes"


@dataclass(frozen=True)
class Clip:
    """One clip: the env to make, how often to keep a frame, the frame budget and its playback speed."""

    name: str
    env_id: str
    kwargs: dict
    stride: int
    max_frames: int
    frames_per_episode: int
    duration_ms: int
    scale: int
    lossless: bool = False


def clips() -> list[Clip]:
    """Every clip the docs use: three families, then the 30 Labyrinth levels in rank order."""
    out = [
        Clip("Gridworld", "Zipfian/Gridworld-v0", {}, 1, 90, 40, 140, 1, lossless=True),
        Clip("Playroom", "Zipfian/Playroom-v0", {}, 1, 100, 70, 110, 2),
        Clip("Labyrinth", "Zipfian/Labyrinth-v0", {}, 4, 100, 20, 110, 2),
    ]
    out += [Clip(level, "Zipfian/Labyrinth-v0", {"level": level}, 4, 90, 90, 110, 2) for level in LEVEL_ORDER]
    return out


def downscale(frame: np.ndarray, scale: int) -> Image.Image:
    """The frame as a PIL image, shrunk by a whole factor (box filter)."""
    image = Image.fromarray(frame)
    if scale > 1:
        image = image.resize((frame.shape[1] // scale, frame.shape[0] // scale), Image.Resampling.BOX)
    return image


def record(clip: Clip, seed: int = 0) -> list[Image.Image]:
    """Play oracle episodes (seeds ``seed``, ``seed + 1``, ...) and keep every ``stride``-th rendered frame."""
    env = gym.make(clip.env_id, render_mode="rgb_array", **clip.kwargs)
    frames: list[Image.Image] = []
    episode = 0
    while len(frames) < clip.max_frames:
        env.reset(seed=seed + episode)
        episode += 1
        kept, step, done = 0, 0, False
        frames.append(downscale(env.render(), clip.scale))
        while not done and kept < clip.frames_per_episode and len(frames) < clip.max_frames:
            _, _, terminated, truncated, _ = env.step(env.unwrapped.oracle_action())
            step += 1
            done = terminated or truncated
            if done or step % clip.stride == 0:
                frames.append(downscale(env.render(), clip.scale))
                kept += 1
        if done:  # hold the last frame a moment
            frames.extend([frames[-1]] * 3)
    env.close()
    return frames[: clip.max_frames]


def save(frames: list[Image.Image], path: Path, clip: Clip) -> None:
    """Write the frames as an animated WebP that loops."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(
        path, save_all=True, append_images=frames[1:], duration=clip.duration_ms, loop=0,
        lossless=clip.lossless, quality=60, method=6,
    )


def montage(path: Path) -> None:
    """One first frame per family, stacked, for the README."""
    images = []
    for env_id, kwargs in (
        ("Zipfian/Gridworld-v0", {}),
        ("Zipfian/Labyrinth-v0", {"level": "rooms_keys_doors_puzzle"}),
        ("Zipfian/Playroom-v0", {"level": "put/put_on_bed_tray_all"}),
    ):
        env = gym.make(env_id, render_mode="rgb_array", **kwargs)
        env.reset(seed=0)
        for _ in range(6):
            env.step(env.unwrapped.oracle_action())
        frame = env.render()
        env.close()
        image = Image.fromarray(frame)
        if frame.shape[1] != 672:
            image = image.resize((672, round(frame.shape[0] * 672 / frame.shape[1])), Image.Resampling.NEAREST)
        images.append(image.resize((image.width // 2, image.height // 2), Image.Resampling.BOX))
    width = max(i.width for i in images)
    sheet = Image.new("RGB", (width, sum(i.height for i in images) + 4 * (len(images) - 1)), (255, 255, 255))
    y = 0
    for image in images:
        sheet.paste(image, (0, y))
        y += image.height + 4
    sheet.save(path, optimize=True)


def main(argv: list[str] | None = None) -> None:
    """Write the clips named on the command line (default: all) and the README picture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="clip names (families or Labyrinth levels)")
    parser.add_argument("--no-montage", action="store_true")
    args = parser.parse_args(argv)
    for clip in clips():
        if args.only and clip.name not in args.only:
            continue
        path = OUT / f"{clip.name}.webp"
        save(record(clip), path, clip)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB", flush=True)
    if not args.no_montage:
        montage(ROOT / "docs" / "assets" / "envs.png")


if __name__ == "__main__":
    main()
