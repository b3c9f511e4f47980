"""Measured reference scores per level: (random policy mean, scripted oracle mean) over 20 seeded episodes.

Written by ``python -m zipfian_envs.labyrinth.calibrate``; they define ``normalized_score``.
"""

REFERENCE_SCORES: dict[str, tuple[float, float]] = {}
