"""A contact sheet of the Labyrinth: ``python -m zipfian_envs.labyrinth.contact_sheet [OUT.png]``.

One labelled image with the first frame (reset seed 0) of each of the 30 levels, in rank order.
Needs matplotlib (the ``eval`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.levels import implemented_levels


def first_frames(seed: int = 0) -> dict[str, np.ndarray]:
    """Each implemented level's first observed image after ``reset(seed=seed)``."""
    frames = {}
    for name in implemented_levels():
        obs, _ = LabyrinthEnv(level=name).reset(seed=seed)
        frames[name] = obs["image"]
    return frames


def save_contact_sheet(path: str | Path, seed: int = 0, columns: int = 5) -> Path:
    """Write the labelled grid of first frames to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = first_frames(seed)
    rows = -(-len(frames) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 2.6, rows * 2.2))
    for axis in np.ravel(axes):
        axis.axis("off")
    for rank, (axis, (name, frame)) in enumerate(zip(np.ravel(axes), frames.items()), start=1):
        axis.imshow(frame, interpolation="nearest")
        axis.set_title(f"{rank}. {name}", fontsize=6.5)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


if __name__ == "__main__":
    print(save_contact_sheet(sys.argv[1] if len(sys.argv) > 1 else "docs/labyrinth_levels.png"))
