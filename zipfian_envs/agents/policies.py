"""Scripted policies for every env, re-exported from the evaluation harness (one implementation).

``OraclePolicy`` follows the env's privileged ``oracle_action()``; ``RandomPolicy`` samples the
action space. Both expose SB3's ``predict(obs, state, episode_start, deterministic)``.
"""

from zipfian_envs.evaluation.policies import OraclePolicy, RandomPolicy

__all__ = ["OraclePolicy", "RandomPolicy"]
