"""The Playroom's object catalogue and furniture sprites: procedural silhouettes in one atlas.

Object kinds are what instructions name, and what the Zipf is over (the reference's level names say
"shape"). The base catalogue has 40 kinds; the ``many_*`` levels use 103. A kind's rank is its
place in the list (rank 1 is the most frequent under a Zipf level). Colour is a nuisance: every
object gets a colour from :data:`COLOURS` drawn uniformly, whatever its kind.

Kinds reuse the engine's 50 built-in shapes (:mod:`zipfian_envs.engine.sprites`) and add the 54
drawn here in the same primitive language. :func:`max_silhouette_overlap` checks that no two kinds
of a catalogue share a silhouette (tests keep the largest intersection-over-union below 0.8).
Furniture sprites are 1 m billboards drawn one per furniture cell; each piece's top height (where
objects rest) is in :mod:`zipfian_envs.playroom.room`.
"""

from __future__ import annotations

import numpy as np

from zipfian_envs.engine.sprites import BLACK, DARK, GREY, LIGHT, SHAPE_PRIMITIVES, WHITE, SpriteAtlas, build_atlas

# Shapes drawn here (the engine has the other 50). (u, v) in the unit square, v downwards.
NEW_SHAPES: dict[str, list] = {
    "train": [("rect", 0.05, 0.45, 0.7, 0.78), ("rect", 0.55, 0.2, 0.9, 0.78), ("rect", 0.12, 0.28, 0.22, 0.45),
              ("rect", 0.62, 0.28, 0.83, 0.45, WHITE), ("circle", 0.2, 0.84, 0.1, BLACK),
              ("circle", 0.45, 0.84, 0.1, BLACK), ("circle", 0.75, 0.84, 0.1, BLACK)],
    "truck": [("rect", 0.05, 0.3, 0.62, 0.75), ("rect", 0.62, 0.45, 0.95, 0.75), ("rect", 0.7, 0.5, 0.88, 0.62, WHITE),
              ("circle", 0.22, 0.82, 0.11, BLACK), ("circle", 0.78, 0.82, 0.11, BLACK)],
    "helicopter": [("ellipse", 0.42, 0.55, 0.28, 0.2), ("rect", 0.6, 0.5, 0.95, 0.57),
                   ("rect", 0.05, 0.2, 0.8, 0.25, GREY), ("rect", 0.4, 0.25, 0.45, 0.36, GREY),
                   ("rect", 0.2, 0.85, 0.65, 0.9, GREY), ("ellipse", 0.32, 0.5, 0.1, 0.08, WHITE)],
    "dinosaur": [("ellipse", 0.5, 0.55, 0.25, 0.18), ("rect", 0.62, 0.15, 0.72, 0.5),
                 ("ellipse", 0.75, 0.15, 0.12, 0.07), ("tri", 0.28, 0.5, 0.3, 0.65, 0.02, 0.8),
                 ("rect", 0.38, 0.65, 0.46, 0.95), ("rect", 0.55, 0.65, 0.63, 0.95)],
    "rabbit": [("ellipse", 0.5, 0.72, 0.25, 0.22), ("circle", 0.5, 0.42, 0.15), ("ellipse", 0.42, 0.15, 0.05, 0.16),
               ("ellipse", 0.58, 0.15, 0.05, 0.16), ("circle", 0.45, 0.4, 0.025, BLACK),
               ("circle", 0.55, 0.4, 0.025, BLACK), ("circle", 0.78, 0.8, 0.07, WHITE)],
    "cat": [("ellipse", 0.5, 0.75, 0.22, 0.2), ("circle", 0.5, 0.45, 0.17), ("tri", 0.34, 0.38, 0.42, 0.3, 0.34, 0.18),
            ("tri", 0.66, 0.38, 0.58, 0.3, 0.66, 0.18), ("rect", 0.7, 0.55, 0.76, 0.9),
            ("circle", 0.44, 0.44, 0.03, {"fixed": 40}), ("circle", 0.56, 0.44, 0.03, {"fixed": 40})],
    "dog": [("ellipse", 0.48, 0.6, 0.3, 0.15), ("circle", 0.22, 0.38, 0.15), ("ellipse", 0.1, 0.42, 0.08, 0.05, DARK),
            ("ellipse", 0.3, 0.42, 0.06, 0.14, DARK), ("rect", 0.25, 0.7, 0.33, 0.95), ("rect", 0.62, 0.7, 0.7, 0.95),
            ("tri", 0.75, 0.55, 0.95, 0.3, 0.8, 0.6)],
    "drum": [("rect", 0.15, 0.4, 0.85, 0.85), ("ellipse", 0.5, 0.4, 0.35, 0.1, WHITE),
             ("rect", 0.15, 0.55, 0.85, 0.6, DARK), ("rect", 0.15, 0.72, 0.85, 0.77, DARK),
             ("rect", 0.3, 0.1, 0.34, 0.35, GREY), ("rect", 0.66, 0.1, 0.7, 0.35, GREY)],
    "kite": [("tri", 0.5, 0.05, 0.2, 0.4, 0.8, 0.4), ("tri", 0.2, 0.4, 0.8, 0.4, 0.5, 0.8, DARK),
             ("rect", 0.49, 0.8, 0.51, 0.98, GREY), ("tri", 0.45, 0.88, 0.55, 0.88, 0.5, 0.94)],
    "crown": [("rect", 0.12, 0.55, 0.88, 0.85), ("tri", 0.12, 0.56, 0.12, 0.2, 0.35, 0.56),
              ("tri", 0.3, 0.56, 0.5, 0.15, 0.7, 0.56), ("tri", 0.65, 0.56, 0.88, 0.2, 0.88, 0.56),
              ("circle", 0.5, 0.7, 0.06, WHITE)],
    "shoe": [("rect", 0.1, 0.25, 0.4, 0.8), ("ellipse", 0.6, 0.68, 0.35, 0.15),
             ("rect", 0.05, 0.8, 0.95, 0.9, {"fixed": 60}), ("rect", 0.38, 0.55, 0.42, 0.7, WHITE)],
    "clock": [("circle", 0.5, 0.5, 0.38), ("circle", 0.5, 0.5, 0.3, WHITE), ("rect", 0.48, 0.28, 0.52, 0.52, BLACK),
              ("rect", 0.48, 0.48, 0.68, 0.52, BLACK), ("rect", 0.2, 0.86, 0.3, 0.95), ("rect", 0.7, 0.86, 0.8, 0.95)],
    "book": [("rect", 0.2, 0.15, 0.8, 0.9), ("rect", 0.2, 0.15, 0.28, 0.9, DARK),
             ("rect", 0.35, 0.3, 0.72, 0.38, WHITE), ("rect", 0.75, 0.2, 0.8, 0.85, WHITE)],
    "giraffe": [("ellipse", 0.5, 0.6, 0.25, 0.1), ("rect", 0.62, 0.1, 0.72, 0.6), ("ellipse", 0.75, 0.1, 0.1, 0.06),
                ("rect", 0.3, 0.65, 0.36, 0.97), ("rect", 0.62, 0.65, 0.68, 0.97), ("circle", 0.45, 0.58, 0.04, DARK),
                ("circle", 0.67, 0.35, 0.03, DARK)],
    "elephant": [("ellipse", 0.55, 0.5, 0.32, 0.25), ("circle", 0.25, 0.42, 0.18), ("rect", 0.1, 0.45, 0.17, 0.9),
                 ("rect", 0.35, 0.7, 0.47, 0.95), ("rect", 0.65, 0.7, 0.77, 0.95),
                 ("ellipse", 0.33, 0.42, 0.1, 0.14, DARK)],
    "pig": [("ellipse", 0.5, 0.58, 0.36, 0.24), ("ellipse", 0.12, 0.55, 0.06, 0.08, LIGHT),
            ("tri", 0.22, 0.38, 0.3, 0.22, 0.35, 0.38), ("rect", 0.25, 0.75, 0.33, 0.95),
            ("rect", 0.65, 0.75, 0.73, 0.95), ("circle", 0.25, 0.48, 0.03, BLACK)],
    "owl": [("ellipse", 0.5, 0.55, 0.3, 0.38), ("circle", 0.38, 0.4, 0.1, WHITE), ("circle", 0.62, 0.4, 0.1, WHITE),
            ("circle", 0.38, 0.4, 0.04, BLACK), ("circle", 0.62, 0.4, 0.04, BLACK),
            ("tri", 0.22, 0.25, 0.3, 0.05, 0.38, 0.22), ("tri", 0.78, 0.25, 0.7, 0.05, 0.62, 0.22),
            ("tri", 0.46, 0.5, 0.54, 0.5, 0.5, 0.6, {"fixed": 200})],
    "penguin": [("ellipse", 0.5, 0.55, 0.25, 0.4, {"fixed": 30}), ("ellipse", 0.5, 0.6, 0.16, 0.3, WHITE),
                ("tri", 0.45, 0.3, 0.55, 0.3, 0.5, 0.38), ("ellipse", 0.38, 0.95, 0.1, 0.04),
                ("ellipse", 0.62, 0.95, 0.1, 0.04)],
    "snail": [("circle", 0.55, 0.5, 0.28), ("ring", 0.55, 0.5, 0.18, 0.1, DARK), ("rect", 0.05, 0.78, 0.9, 0.9, LIGHT),
              ("rect", 0.1, 0.55, 0.16, 0.78, LIGHT), ("circle", 0.13, 0.52, 0.04, BLACK)],
    "turtle": [("ellipse", 0.5, 0.6, 0.32, 0.22), ("rect", 0.1, 0.6, 0.9, 0.85, {"cut": True}),
               ("rect", 0.15, 0.6, 0.85, 0.66, DARK), ("circle", 0.87, 0.6, 0.08), ("rect", 0.25, 0.66, 0.33, 0.8),
               ("rect", 0.67, 0.66, 0.75, 0.8)],
    "frog": [("ellipse", 0.5, 0.65, 0.32, 0.22), ("circle", 0.33, 0.4, 0.1), ("circle", 0.67, 0.4, 0.1),
             ("circle", 0.33, 0.4, 0.045, BLACK), ("circle", 0.67, 0.4, 0.045, BLACK),
             ("ellipse", 0.15, 0.88, 0.12, 0.06), ("ellipse", 0.85, 0.88, 0.12, 0.06),
             ("rect", 0.35, 0.7, 0.65, 0.73, DARK)],
    "butterfly": [("ellipse", 0.28, 0.35, 0.2, 0.2), ("ellipse", 0.72, 0.35, 0.2, 0.2),
                  ("ellipse", 0.32, 0.7, 0.15, 0.15, DARK), ("ellipse", 0.68, 0.7, 0.15, 0.15, DARK),
                  ("rect", 0.47, 0.2, 0.53, 0.85, {"fixed": 40})],
    "spider": [("circle", 0.5, 0.5, 0.18), ("rect", 0.05, 0.4, 0.95, 0.44), ("rect", 0.05, 0.58, 0.95, 0.62),
               ("rect", 0.05, 0.4, 0.09, 0.8), ("rect", 0.91, 0.4, 0.95, 0.8), ("rect", 0.15, 0.58, 0.19, 0.9),
               ("rect", 0.81, 0.58, 0.85, 0.9), ("circle", 0.45, 0.45, 0.03, WHITE),
               ("circle", 0.55, 0.45, 0.03, WHITE)],
    "crab": [("ellipse", 0.5, 0.6, 0.3, 0.18), ("circle", 0.15, 0.3, 0.1), ("circle", 0.85, 0.3, 0.1),
             ("rect", 0.15, 0.3, 0.2, 0.55), ("rect", 0.8, 0.3, 0.85, 0.55), ("rect", 0.2, 0.75, 0.25, 0.95),
             ("rect", 0.75, 0.75, 0.8, 0.95), ("circle", 0.15, 0.24, 0.05, {"cut": True}),
             ("circle", 0.85, 0.24, 0.05, {"cut": True})],
    "whale": [("ellipse", 0.45, 0.65, 0.38, 0.22), ("tri", 0.78, 0.6, 0.98, 0.35, 0.98, 0.6),
              ("rect", 0.07, 0.72, 0.5, 0.8, LIGHT), ("rect", 0.3, 0.25, 0.33, 0.43, {"fixed": 220}),
              ("circle", 0.2, 0.6, 0.03, BLACK)],
    "snake": [("ring", 0.35, 0.7, 0.25, 0.15), ("rect", 0.35, 0.45, 0.62, 0.95, {"cut": True}),
              ("ring", 0.62, 0.45, 0.22, 0.12), ("rect", 0.35, 0.2, 0.62, 0.68, {"cut": True}),
              ("circle", 0.5, 0.22, 0.09)],
    "trumpet": [("rect", 0.1, 0.44, 0.65, 0.52), ("tri", 0.6, 0.48, 0.95, 0.25, 0.95, 0.72),
                ("rect", 0.3, 0.52, 0.5, 0.62), ("rect", 0.3, 0.32, 0.34, 0.44, GREY),
                ("rect", 0.38, 0.32, 0.42, 0.44, GREY), ("rect", 0.46, 0.32, 0.5, 0.44, GREY)],
    "sock": [("rect", 0.3, 0.05, 0.6, 0.7), ("ellipse", 0.55, 0.78, 0.3, 0.14), ("rect", 0.3, 0.05, 0.6, 0.15, WHITE),
             ("circle", 0.78, 0.8, 0.08, DARK)],
    "glove": [("rect", 0.25, 0.45, 0.75, 0.95), ("rect", 0.25, 0.15, 0.34, 0.5), ("rect", 0.37, 0.08, 0.46, 0.5),
              ("rect", 0.49, 0.1, 0.58, 0.5), ("rect", 0.61, 0.18, 0.7, 0.5),
              ("tri", 0.25, 0.75, 0.25, 0.5, 0.08, 0.42), ("rect", 0.25, 0.85, 0.75, 0.95, DARK)],
    "scissors": [("ring", 0.3, 0.8, 0.14, 0.07), ("ring", 0.7, 0.8, 0.14, 0.07),
                 ("tri", 0.35, 0.68, 0.45, 0.7, 0.62, 0.05, GREY), ("tri", 0.65, 0.68, 0.55, 0.7, 0.38, 0.05, GREY)],
    "phone": [("tri", 0.15, 0.9, 0.85, 0.9, 0.7, 0.5), ("tri", 0.15, 0.9, 0.3, 0.5, 0.7, 0.5),
              ("rect", 0.1, 0.32, 0.9, 0.42, DARK), ("rect", 0.1, 0.28, 0.25, 0.5, DARK),
              ("rect", 0.75, 0.28, 0.9, 0.5, DARK), ("ring", 0.5, 0.72, 0.12, 0.06, WHITE)],
    "anchor": [("ring", 0.5, 0.15, 0.09, 0.04), ("rect", 0.46, 0.2, 0.54, 0.9), ("rect", 0.28, 0.3, 0.72, 0.36),
               ("ring", 0.5, 0.6, 0.35, 0.27), ("rect", 0.1, 0.2, 0.9, 0.62, {"cut": True}),
               ("rect", 0.46, 0.2, 0.54, 0.9), ("rect", 0.28, 0.3, 0.72, 0.36),
               ("tri", 0.08, 0.55, 0.22, 0.55, 0.12, 0.75)],
    "bucket": [("ring", 0.5, 0.38, 0.36, 0.31, GREY), ("rect", 0.0, 0.38, 1.0, 1.0, {"cut": True}),
               ("tri", 0.15, 0.38, 0.85, 0.38, 0.25, 0.95), ("tri", 0.85, 0.38, 0.75, 0.95, 0.25, 0.95),
               ("rect", 0.17, 0.38, 0.83, 0.44, LIGHT)],
    "shovel": [("rect", 0.46, 0.05, 0.54, 0.6, {"fixed": 130}), ("rect", 0.36, 0.03, 0.64, 0.1, {"fixed": 130}),
               ("rect", 0.32, 0.6, 0.68, 0.82), ("tri", 0.32, 0.82, 0.68, 0.82, 0.5, 0.98)],
    "windmill": [("tri", 0.35, 0.95, 0.65, 0.95, 0.5, 0.35), ("tri", 0.5, 0.35, 0.58, 0.05, 0.65, 0.1, LIGHT),
                 ("tri", 0.5, 0.35, 0.95, 0.45, 0.9, 0.52, LIGHT), ("tri", 0.5, 0.35, 0.42, 0.65, 0.35, 0.6, LIGHT),
                 ("tri", 0.5, 0.35, 0.05, 0.25, 0.1, 0.18, LIGHT)],
    "castle": [("rect", 0.15, 0.4, 0.85, 0.95), ("rect", 0.05, 0.2, 0.3, 0.95), ("rect", 0.7, 0.2, 0.95, 0.95),
               ("rect", 0.1, 0.13, 0.16, 0.2), ("rect", 0.2, 0.13, 0.26, 0.2), ("rect", 0.74, 0.13, 0.8, 0.2),
               ("rect", 0.84, 0.13, 0.9, 0.2), ("rect", 0.42, 0.65, 0.58, 0.95, {"fixed": 50})],
    "tent": [("tri", 0.5, 0.2, 0.0, 0.95, 1.0, 0.95), ("tri", 0.5, 0.45, 0.36, 0.95, 0.64, 0.95, {"cut": True}),
             ("tri", 0.5, 0.22, 0.35, 0.02, 0.4, 0.02, GREY), ("tri", 0.5, 0.22, 0.65, 0.02, 0.6, 0.02, GREY)],
    "lighthouse": [("tri", 0.38, 0.3, 0.62, 0.3, 0.5, 0.1, DARK), ("rect", 0.4, 0.3, 0.6, 0.42, {"fixed": 240}),
                   ("tri", 0.4, 0.42, 0.6, 0.42, 0.7, 0.97), ("tri", 0.4, 0.42, 0.3, 0.97, 0.7, 0.97),
                   ("rect", 0.3, 0.6, 0.7, 0.7, WHITE)],
    "icecream": [("tri", 0.32, 0.45, 0.68, 0.45, 0.5, 0.97, {"fixed": 190}), ("circle", 0.5, 0.33, 0.19),
                 ("circle", 0.5, 0.14, 0.05, {"fixed": 200})],
    "pear": [("circle", 0.5, 0.7, 0.26), ("circle", 0.5, 0.38, 0.15), ("rect", 0.48, 0.1, 0.53, 0.25, {"fixed": 90}),
             ("ellipse", 0.6, 0.16, 0.07, 0.04, {"fixed": 120})],
    "cherry": [("circle", 0.3, 0.75, 0.17), ("circle", 0.7, 0.72, 0.17),
               ("tri", 0.3, 0.6, 0.33, 0.6, 0.55, 0.1, {"fixed": 90}),
               ("tri", 0.7, 0.56, 0.67, 0.56, 0.55, 0.1, {"fixed": 90})],
    "carrot": [("tri", 0.3, 0.3, 0.7, 0.3, 0.5, 0.98), ("tri", 0.5, 0.3, 0.35, 0.05, 0.45, 0.3, {"fixed": 100}),
               ("tri", 0.5, 0.3, 0.65, 0.05, 0.55, 0.3, {"fixed": 100}), ("rect", 0.4, 0.5, 0.55, 0.52, DARK)],
    "pineapple": [("ellipse", 0.5, 0.68, 0.24, 0.3), ("tri", 0.5, 0.38, 0.3, 0.05, 0.45, 0.38, {"fixed": 100}),
                  ("tri", 0.5, 0.38, 0.7, 0.05, 0.55, 0.38, {"fixed": 100}),
                  ("tri", 0.45, 0.38, 0.5, 0.02, 0.55, 0.38, {"fixed": 100}), ("rect", 0.3, 0.6, 0.7, 0.63, DARK),
                  ("rect", 0.3, 0.75, 0.7, 0.78, DARK)],
    "donut": [("ring", 0.5, 0.6, 0.38, 0.14), ("ring", 0.5, 0.6, 0.3, 0.14, LIGHT)],
    "teapot": [("ellipse", 0.5, 0.65, 0.28, 0.25), ("tri", 0.22, 0.6, 0.05, 0.35, 0.25, 0.72),
               ("ring", 0.8, 0.62, 0.13, 0.07), ("ellipse", 0.5, 0.4, 0.15, 0.05, DARK),
               ("circle", 0.5, 0.33, 0.05, DARK)],
    "vase": [("ellipse", 0.5, 0.68, 0.28, 0.28), ("rect", 0.4, 0.15, 0.6, 0.5), ("rect", 0.32, 0.1, 0.68, 0.16),
             ("rect", 0.25, 0.62, 0.75, 0.66, LIGHT)],
    "fork": [("rect", 0.46, 0.4, 0.54, 0.97, GREY), ("rect", 0.3, 0.35, 0.7, 0.45, GREY),
             ("rect", 0.3, 0.05, 0.35, 0.4, GREY), ("rect", 0.42, 0.05, 0.47, 0.4, GREY),
             ("rect", 0.53, 0.05, 0.58, 0.4, GREY), ("rect", 0.65, 0.05, 0.7, 0.4, GREY),
             ("rect", 0.46, 0.7, 0.54, 0.97)],
    "lock": [("ring", 0.5, 0.35, 0.22, 0.13, GREY), ("rect", 0.2, 0.35, 0.8, 0.93), ("circle", 0.5, 0.58, 0.06, BLACK),
             ("rect", 0.47, 0.6, 0.53, 0.75, BLACK)],
    "bone": [("rect", 0.2, 0.42, 0.8, 0.58, {"fixed": 230}), ("circle", 0.15, 0.38, 0.1, {"fixed": 230}),
             ("circle", 0.15, 0.62, 0.1, {"fixed": 230}), ("circle", 0.85, 0.38, 0.1, {"fixed": 230}),
             ("circle", 0.85, 0.62, 0.1, {"fixed": 230}), ("rect", 0.35, 0.47, 0.65, 0.53)],
    "leaf": [("ellipse", 0.5, 0.45, 0.22, 0.38), ("tri", 0.28, 0.3, 0.5, 0.1, 0.72, 0.3, {"cut": True}),
             ("tri", 0.5, 0.02, 0.3, 0.3, 0.7, 0.3), ("rect", 0.48, 0.3, 0.52, 0.98, DARK)],
    "snowman": [("circle", 0.5, 0.72, 0.25, WHITE), ("circle", 0.5, 0.36, 0.17, WHITE),
                ("rect", 0.35, 0.08, 0.65, 0.2), ("rect", 0.3, 0.18, 0.7, 0.22),
                ("tri", 0.5, 0.36, 0.5, 0.42, 0.7, 0.4, {"fixed": 200}), ("circle", 0.5, 0.65, 0.035, BLACK)],
    "ghost": [("circle", 0.5, 0.4, 0.3), ("rect", 0.2, 0.4, 0.8, 0.85), ("tri", 0.2, 0.85, 0.35, 0.85, 0.27, 0.97),
              ("tri", 0.43, 0.85, 0.57, 0.85, 0.5, 0.97), ("tri", 0.65, 0.85, 0.8, 0.85, 0.73, 0.97),
              ("circle", 0.4, 0.38, 0.06, BLACK), ("circle", 0.6, 0.38, 0.06, BLACK)],
    "yoyo": [("circle", 0.5, 0.65, 0.3), ("rect", 0.2, 0.63, 0.8, 0.67, DARK), ("circle", 0.5, 0.65, 0.06, WHITE),
             ("rect", 0.49, 0.05, 0.51, 0.6, GREY), ("ring", 0.5, 0.08, 0.05, 0.02, GREY)],
    "submarine": [("ellipse", 0.5, 0.62, 0.42, 0.17), ("rect", 0.4, 0.3, 0.58, 0.48),
                  ("rect", 0.52, 0.15, 0.55, 0.3, GREY), ("rect", 0.55, 0.15, 0.62, 0.18, GREY),
                  ("circle", 0.3, 0.62, 0.04, WHITE), ("circle", 0.5, 0.62, 0.04, WHITE),
                  ("circle", 0.7, 0.62, 0.04, WHITE), ("tri", 0.9, 0.62, 0.98, 0.48, 0.98, 0.76, DARK)],
}  # fmt: skip

# Kinds in rank order: rank 1 (the most frequent under a Zipf level) first.
BASE_KINDS: tuple[str, ...] = (
    "duck", "car", "robot", "ball", "cube", "rocket", "teddy", "boat", "plane", "bus", "train", "truck", "helicopter",
    "dinosaur", "rabbit", "cat", "dog", "fish", "star", "heart", "house", "tree", "flower", "cup", "bottle", "hat",
    "umbrella", "guitar", "drum", "kite", "crown", "shoe", "clock", "book", "lamp", "bell", "apple", "banana",
    "pyramid", "ring",
)  # fmt: skip
MANY_KINDS: tuple[str, ...] = (
    *BASE_KINDS,
    "cake", "balloon", "can", "key", "lolly", "mushroom", "box", "cross", "diamond", "moon", "cactus", "rock", "shrub",
    "tv", "cassette", "chair", "hammer", "pencil", "tennis_racket", "candle", "spoon", "egg", "giraffe", "elephant",
    "pig", "owl", "penguin", "snail", "turtle", "frog", "butterfly", "spider", "crab", "whale", "snake", "trumpet",
    "sock", "glove", "scissors", "phone", "anchor", "bucket", "shovel", "windmill", "castle", "tent", "lighthouse",
    "icecream", "pear", "cherry", "carrot", "pineapple", "donut", "teapot", "vase", "fork", "lock", "bone", "leaf",
    "snowman", "ghost", "yoyo", "submarine",
)  # fmt: skip
CATALOGUES: dict[str, tuple[str, ...]] = {"base": BASE_KINDS, "many": MANY_KINDS}

# Furniture: one 1 m billboard per occupied cell. The top surface sits at 1 - v_top of the sprite.
FURNITURE_SHAPES: dict[str, list] = {
    "bed_head": [("rect", 0.02, 0.62, 0.98, 0.82), ("rect", 0.02, 0.62, 0.98, 0.67, LIGHT),
                 ("rect", 0.02, 0.3, 0.12, 1.0, {"fixed": 110}), ("ellipse", 0.3, 0.58, 0.16, 0.07, WHITE),
                 ("rect", 0.02, 0.82, 0.98, 0.9, {"fixed": 110}), ("rect", 0.9, 0.82, 0.98, 1.0, {"fixed": 90})],
    "bed_foot": [("rect", 0.02, 0.62, 0.98, 0.82), ("rect", 0.02, 0.62, 0.98, 0.67, LIGHT),
                 ("rect", 0.88, 0.5, 0.98, 1.0, {"fixed": 110}), ("rect", 0.02, 0.82, 0.98, 0.9, {"fixed": 110}),
                 ("rect", 0.02, 0.82, 0.1, 1.0, {"fixed": 90})],
    "table": [("rect", 0.02, 0.55, 0.98, 0.62), ("rect", 0.08, 0.62, 0.15, 1.0, DARK),
              ("rect", 0.85, 0.62, 0.92, 1.0, DARK), ("rect", 0.4, 0.62, 0.6, 0.66, DARK)],
    "tray": [("rect", 0.05, 0.7, 0.95, 0.76, {"fixed": 120}), ("rect", 0.1, 0.76, 0.17, 1.0, {"fixed": 90}),
             ("rect", 0.83, 0.76, 0.9, 1.0, {"fixed": 90}), ("rect", 0.12, 0.64, 0.88, 0.7),
             ("rect", 0.12, 0.6, 0.17, 0.7, DARK), ("rect", 0.83, 0.6, 0.88, 0.7, DARK)],
    "shelf": [("rect", 0.05, 0.3, 0.95, 1.0, DARK), ("rect", 0.1, 0.36, 0.9, 0.62, {"fixed": 40}),
              ("rect", 0.1, 0.68, 0.9, 0.94, {"fixed": 40}), ("rect", 0.15, 0.42, 0.22, 0.62, {"fixed": 170}),
              ("rect", 0.25, 0.45, 0.31, 0.62, {"fixed": 120}), ("rect", 0.6, 0.74, 0.7, 0.94, GREY),
              ("rect", 0.05, 0.3, 0.95, 0.34)],
    "chest": [("rect", 0.08, 0.6, 0.92, 0.98), ("rect", 0.08, 0.6, 0.92, 0.7, LIGHT),
              ("rect", 0.08, 0.7, 0.92, 0.73, DARK), ("rect", 0.45, 0.7, 0.55, 0.8, {"fixed": 210}),
              ("rect", 0.08, 0.6, 0.14, 0.98, DARK), ("rect", 0.86, 0.6, 0.92, 0.98, DARK)],
}  # fmt: skip

ALL_SHAPES: dict[str, list] = {
    **FURNITURE_SHAPES,
    **{name: SHAPE_PRIMITIVES.get(name) or NEW_SHAPES[name] for name in MANY_KINDS},
}
ATLAS: SpriteAtlas = build_atlas(ALL_SHAPES)
# Atlas index of each kind, in catalogue order (the base catalogue is a prefix of the many one).
KIND_SHAPES: np.ndarray = np.array([ATLAS.index(name) for name in MANY_KINDS], np.int32)
KIND_SHAPES.flags.writeable = False
FURNITURE_SHAPE: dict[str, int] = {name: ATLAS.index(name) for name in FURNITURE_SHAPES}

# Object colours (a nuisance: drawn uniformly, never named in an instruction).
COLOURS: np.ndarray = np.array(
    [(220, 50, 50), (60, 170, 70), (60, 100, 220), (235, 205, 50), (60, 200, 210), (200, 70, 200), (240, 140, 40),
     (140, 80, 200), (245, 150, 180), (150, 100, 60), (235, 235, 235), (120, 120, 130)],
    np.uint8,
)  # fmt: skip
COLOURS.flags.writeable = False


def catalogue(name: str) -> tuple[str, ...]:
    """The kinds of catalogue ``name`` (``base``: 40, ``many``: 103) in rank order."""
    if name not in CATALOGUES:
        raise ValueError(f"unknown catalogue {name!r}; valid: {', '.join(CATALOGUES)}")
    return CATALOGUES[name]


def max_silhouette_overlap(kinds: tuple[str, ...]) -> tuple[float, str, str]:
    """The largest intersection-over-union of two kinds' silhouettes, and which two."""
    masks = ATLAS.alpha[[ATLAS.index(name) for name in kinds]].reshape(len(kinds), -1).astype(np.float64)
    inter = masks @ masks.T
    area = masks.sum(axis=1)
    iou = inter / (area[:, None] + area[None, :] - inter)
    np.fill_diagonal(iou, 0.0)
    i, j = np.unravel_index(int(np.argmax(iou)), iou.shape)
    return float(iou[i, j]), kinds[i], kinds[j]
