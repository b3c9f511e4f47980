"""zipfian-envs: reinforcement-learning environments whose items follow Zipf distributions."""

from importlib.metadata import PackageNotFoundError, version

from zipfian_envs.registration import env_ids, register_all

try:
    __version__ = version("zipfian-envs")  # the installed distribution's metadata: one source, pyproject.toml
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

register_all()

__all__ = ["__version__", "env_ids", "register_all"]
