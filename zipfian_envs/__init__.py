"""zipfian-envs: reinforcement-learning environments whose items follow Zipf distributions."""

from zipfian_envs.registration import env_ids, register_all

__version__ = "0.1.0"

register_all()

__all__ = ["__version__", "env_ids", "register_all"]
