"""Symbolic-extractor speed: one PPO minibatch's forward and backward, per-cell vs gathered cue-match.

Usage: ``python benchmarks/bench_extractor.py [--batch 1024] [--repeats 50]``. Prints milliseconds per
minibatch for the codes-only extractor, the cue-match extractor as shipped (cosines of all code pairs,
then a gather) and the per-cell formula it replaced (normalise every looked-up vector), and the ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from gymnasium import spaces

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zipfian_envs.agents.extractors import OBJECT_CODE, SymbolicGridExtractor


class PerCellCueMatch(SymbolicGridExtractor):
    """The cue-match extractor with the per-cell formula: normalise each looked-up (B, n, d) vector."""

    def cue_match(self, codes: torch.Tensor) -> torch.Tensor:
        """Each cell's cosine with the cued kind, computed cell by cell."""
        kinds = torch.nn.functional.normalize(self.match_embed(codes), dim=-1)
        return (kinds[:, :-1] * kinds[:, -1:]).sum(-1) * (codes[:, :-1] >= OBJECT_CODE)


def time_minibatch(extractor: SymbolicGridExtractor, observations: torch.Tensor, repeats: int) -> float:
    """Milliseconds per forward + backward pass over ``observations``."""
    for _ in range(3):
        extractor.zero_grad()
        extractor(observations).sum().backward()
    start = time.perf_counter()
    for _ in range(repeats):
        extractor.zero_grad()
        extractor(observations).sum().backward()
    return (time.perf_counter() - start) / repeats * 1000


def main(argv: list[str] | None = None) -> None:
    """Time the three extractors at the preset's sizes and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024, help="minibatch size (the preset's PPO batch_size)")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    space = spaces.Box(0, 227, (50,), np.uint8)
    observations = torch.randint(0, 228, (args.batch, 50)).float()
    sizes = {"features_dim": 128, "hidden": 128}  # the symbolic Gridworld preset's extractor
    timings = {
        "codes": time_minibatch(SymbolicGridExtractor(space, **sizes), observations, args.repeats),
        "cue_match (gathered)": time_minibatch(
            SymbolicGridExtractor(space, features="cue_match", **sizes), observations, args.repeats
        ),
        "cue_match (per cell)": time_minibatch(
            PerCellCueMatch(space, features="cue_match", **sizes), observations, args.repeats
        ),
    }
    for name, ms in timings.items():
        print(f"{name:>22}: {ms:7.2f} ms per {args.batch}-observation minibatch (forward + backward)")
    print(f"per cell / gathered: {timings['cue_match (per cell)'] / timings['cue_match (gathered)']:.2f}x")
    print(f"gathered / codes only: {timings['cue_match (gathered)'] / timings['codes']:.2f}x")


if __name__ == "__main__":
    main()
