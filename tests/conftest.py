"""Shared test set-up: headless pygame and matplotlib; registers the Zipfian ids."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("MPLBACKEND", "Agg")

import zipfian_envs  # noqa: F401
