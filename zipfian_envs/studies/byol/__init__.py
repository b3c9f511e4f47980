"""Companion study 1: BYOL with and without batch statistics, pre-trained on Zipf-distributed glyphs.

Modules: ``config`` (trial settings, presets, data splits; numpy only), ``networks`` (ResNet and MLP
heads with a normalisation switch), ``augment`` (seeded torch augmentations), ``algorithm`` (loss,
EMA, tau schedule, collapse diagnostic), ``probe`` (linear probe and kNN), ``train`` (one trial),
``compare`` (the matrix, parallel runs, merge into table and plots) and ``cli`` (``zipfian-study byol``).
Torch is imported only by the modules that need it.
"""
