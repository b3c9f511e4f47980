"""Zipf's Playroom: lift, put and find instructed objects in a furnished first-person room."""

from zipfian_envs.playroom.env import PlayroomEnv
from zipfian_envs.playroom.tasks import LEVELS

__all__ = ["LEVELS", "PlayroomEnv"]
