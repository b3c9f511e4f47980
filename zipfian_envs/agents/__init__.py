"""Baseline agents for zipfian-envs: SB3 / sb3-contrib algorithms, soft Q-learning, extractors, presets."""

from zipfian_envs.agents.presets import ALGOS, PRESETS, get_preset
from zipfian_envs.agents.soft_q import SoftQ

__all__ = ["ALGOS", "PRESETS", "SoftQ", "get_preset"]
