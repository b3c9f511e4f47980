"""Zipf's Gridworld: find the cued object among 20 in Zipf-distributed 3x3-room maps."""

from zipfian_envs.gridworld.env import GridworldEnv

__all__ = ["GridworldEnv"]
