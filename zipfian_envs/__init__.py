"""zipfian-envs: reinforcement-learning environments whose items follow Zipf distributions."""

from importlib.metadata import PackageNotFoundError, version

from zipfian_envs.registration import env_ids, register_all

try:
    __version__ = version("zipfian-envs")  # the installed distribution's metadata: one source, pyproject.toml
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

register_all()

# Imported here so `zipfian_envs.vector.to_sb3(...)` works after `import zipfian_envs` alone (the
# README's SB3 line); the module needs only gymnasium and numpy, so the core install still imports.
from zipfian_envs import vector  # noqa: E402

__all__ = ["__version__", "env_ids", "register_all", "vector"]
