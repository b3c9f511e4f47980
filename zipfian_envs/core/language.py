"""The shared instruction vocabulary: word <-> token id, fixed-length encoding and ``decode()``.

Instructions are lower-case words separated by spaces (``"pick the red hat"``). An observation
carries them as ``Box(0, VOCAB_SIZE - 1, (MAX_TOKENS,), int64)`` token ids, left-aligned with
0 as padding. The vocabulary is one fixed list: new words are only ever appended, so a token id
never changes meaning between versions. An unknown word is an error, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MAX_TOKENS = 16
PAD = "<pad>"

COLOUR_WORDS = (
    "red", "green", "blue", "yellow", "cyan", "magenta", "white", "black", "orange", "purple", "pink",
    "brown", "grey",
)  # fmt: skip
# The built-in sprite shapes' names (zipfian_envs.engine.sprites), frozen here so ids never move.
SHAPE_WORDS = (
    "apple",
    "cake",
    "balloon",
    "hat",
    "can",
    "key",
    "lolly",
    "mushroom",
    "ball",
    "box",
    "cube",
    "pyramid",
    "star",
    "ring",
    "cross",
    "diamond",
    "heart",
    "moon",
    "tree",
    "cactus",
    "rock",
    "shrub",
    "bot",
    "car",
    "duck",
    "robot",
    "rocket",
    "teddy",
    "boat",
    "tv",
    "cassette",
    "chair",
    "cup",
    "bottle",
    "lamp",
    "guitar",
    "umbrella",
    "flower",
    "fish",
    "bell",
    "house",
    "plane",
    "bus",
    "hammer",
    "pencil",
    "tennis_racket",
    "candle",
    "spoon",
    "banana",
    "egg",
)
FUNCTION_WORDS = (
    "pick", "the", "a", "an", "object", "objects", "in", "room", "every", "near", "are", "all", "any", "is",
    "anything", "most", "?", "yes", "no", "and", "of", "to", "on", "go", "find", "lift", "put", "bed", "tray",
    "table", "shelf", "chest", "floor", "left", "right", "collect", "avoid", "get", "goal", "door",
)  # fmt: skip

# Words added later go here, at the end: append-only keeps every token id stable.
EXTRA_WORDS: tuple[str, ...] = (
    # Zipf's Playroom object kinds (zipfian_envs.playroom.catalogue).
    "train", "truck", "helicopter", "dinosaur", "rabbit", "cat", "dog", "drum", "kite", "crown", "shoe", "clock",
    "book", "giraffe", "elephant", "pig", "owl", "penguin", "snail", "turtle", "frog", "butterfly", "spider", "crab",
    "whale", "snake", "trumpet", "sock", "glove", "scissors", "phone", "anchor", "bucket", "shovel", "windmill",
    "castle", "tent", "lighthouse", "icecream", "pear", "cherry", "carrot", "pineapple", "donut", "teapot", "vase",
    "fork", "lock", "bone", "leaf", "snowman", "ghost", "yoyo", "submarine",
)  # fmt: skip

VOCABULARY: tuple[str, ...] = (PAD, *COLOUR_WORDS, *SHAPE_WORDS, *FUNCTION_WORDS, *EXTRA_WORDS)
if len(set(VOCABULARY)) != len(VOCABULARY):
    raise RuntimeError("the vocabulary lists a word twice")
TOKEN_IDS: dict[str, int] = {word: index for index, word in enumerate(VOCABULARY)}
VOCAB_SIZE = len(VOCABULARY)


def tokenize(text: str) -> list[str]:
    """Split an instruction into words (lower case; '?' is a word of its own)."""
    if not isinstance(text, str):
        raise TypeError(f"instruction must be a string, got {type(text).__name__}")
    return text.lower().replace("?", " ? ").split()


def encode(text: str, length: int = MAX_TOKENS) -> np.ndarray:
    """Token ids of ``text``, padded with 0 to ``length``; unknown words or overlong text raise."""
    words = tokenize(text)
    unknown = [word for word in words if word not in TOKEN_IDS]
    if unknown:
        raise ValueError(f"words not in the vocabulary: {unknown}; see zipfian_envs.core.language.VOCABULARY")
    if len(words) > length:
        raise ValueError(f"instruction {text!r} has {len(words)} words, more than {length}")
    ids = np.zeros(length, np.int64)
    ids[: len(words)] = [TOKEN_IDS[word] for word in words]
    return ids


def decode(ids: Iterable[int]) -> str:
    """The instruction text of a token-id vector (padding dropped)."""
    words = []
    for token in np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids).reshape(-1):
        token = int(token)
        if not 0 <= token < VOCAB_SIZE:
            raise ValueError(f"token id {token} is outside the vocabulary 0..{VOCAB_SIZE - 1}")
        if token:
            words.append(VOCABULARY[token])
    return " ".join(words).replace(" ?", "?")
