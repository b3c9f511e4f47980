"""Measured reference scores per level: (random policy mean, scripted oracle mean) over seeded episodes.

Written by ``python -m zipfian_envs.labyrinth.calibrate --episodes 20``;
they define ``normalized_score``.
"""

REFERENCE_SCORES: dict[str, tuple[float, float]] = {
    "rooms_collect_good_objects": (0.25, 9.7),
    "rooms_exploit_deferred_effects": (4.15, 50.5),
    "rooms_select_nonmatching_object": (1.6, 99.0),
    "rooms_watermaze": (2.25, 140.0),
    "rooms_keys_doors_puzzle": (1.85, 54.2),
    "language_select_described_object": (9.5, 336.0),
    "language_select_located_object": (-0.3, 366.5),
    "language_execute_random_task": (1.7, 325.85),
    "language_answer_quantitative_question": (0.0, 229.0),
    "lasertag_one_opponent_small": (0.55, 81.35),
    "lasertag_three_opponents_small": (3.85, 169.3),
    "lasertag_one_opponent_large": (0.15, 32.1),
    "lasertag_three_opponents_large": (0.6, 60.6),
    "natlab_fixed_large_map": (3.55, 60.0),
    "natlab_varying_map_regrowth": (2.35, 24.0),
    "natlab_varying_map_randomized": (4.1, 59.0),
    "skymaze_irreversible_path_hard": (0.0, 100.0),
    "skymaze_irreversible_path_varied": (0.0, 100.0),
    "psychlab_arbitrary_visuomotor_mapping": (3.7, 60.0),
    "psychlab_continuous_recognition": (3.65, 60.0),
    "psychlab_sequential_comparison": (2.3, 60.0),
    "psychlab_visual_search": (2.15, 80.0),
    "explore_object_locations_small": (2.6, 47.3),
    "explore_object_locations_large": (2.8, 43.15),
    "explore_obstructed_goals_small": (4.0, 190.0),
    "explore_obstructed_goals_large": (1.5, 134.0),
    "explore_goal_locations_small": (2.5, 199.0),
    "explore_goal_locations_large": (1.5, 142.5),
    "explore_object_rewards_few": (0.1, 66.5),
    "explore_object_rewards_many": (0.9, 104.6),
}
