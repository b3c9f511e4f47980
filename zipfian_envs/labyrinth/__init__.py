"""Zipf's Labyrinth: 30 first-person levels modelled on DMLab-30, the level drawn from a Zipf distribution."""

from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.levels import LEVEL_ORDER, load_level

__all__ = ["LEVEL_ORDER", "LabyrinthEnv", "load_level"]
