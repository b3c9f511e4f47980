"""Procedural glyphs: an Omniglot-like data set made here, in numpy, deterministic and cached on disk.

Each class is a small "character": one to four pen strokes (cubic Bezier curves or three-point
polylines, later strokes often starting on an earlier one) drawn from the class's own seeded
generator. Each exemplar redraws the character the way a different hand would: the control points
jitter, and the pen thickness, rotation, scale, shear and position change. Images are grayscale
``uint8`` (ink 255 on 0), ``image_size`` square (32 by default; 28 like Omniglot's common resize works too).

The dataset is a pure function of its :class:`GlyphSpec`: class ``c`` uses the generator seeded with
``(seed, c)``, so the first 100 classes of a 1,600-class set equal a 100-class set, bit for bit.
:func:`load_glyphs` caches the array under :func:`cache_dir` (``$ZIPFIAN_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/zipfian_envs`` or ``~/.cache/zipfian_envs``) so later runs load it instantly.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Bump when the generator changes, so old cache files are never read as the new data.
GENERATOR_VERSION = 1
CACHE_ENV_VAR = "ZIPFIAN_CACHE_DIR"

MAX_STROKES = 4
POINTS_PER_STROKE = 48
# Pen radius in pixels at image size 32 (scaled with the image size).
_RADIUS_RANGE = (0.85, 1.5)
_RADIUS_JITTER = (0.8, 1.25)
_CONTROL_JITTER = 0.03  # exemplar control-point noise, in units of the image side
_ROTATION_SD = np.deg2rad(9.0)
_SCALE_RANGE = (0.85, 1.08)
_SHEAR_SD = 0.08
_SHIFT_SD = 0.035
_CHUNK = 1024  # images rendered per vectorised pass (bounds memory)


@dataclass(frozen=True)
class GlyphSpec:
    """Size and seed of a glyph data set; the data are a pure function of these four numbers."""

    num_classes: int = 1600
    exemplars_per_class: int = 20
    image_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("num_classes", "exemplars_per_class", "image_size", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.num_classes < 1 or self.exemplars_per_class < 1:
            raise ValueError(
                f"num_classes and exemplars_per_class must be >= 1, got {self.num_classes}, {self.exemplars_per_class}"
            )
        if not 16 <= self.image_size <= 128:
            raise ValueError(f"image_size must be in 16..128, got {self.image_size}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")

    @property
    def file_name(self) -> str:
        """Cache file name: every field and the generator version."""
        return (
            f"glyphs-v{GENERATOR_VERSION}-c{self.num_classes}-e{self.exemplars_per_class}"
            f"-s{self.image_size}-seed{self.seed}.npy"
        )


def cache_dir() -> Path:
    """The glyph cache folder: ``$ZIPFIAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/zipfian_envs``, else ``~/.cache/...``."""
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "zipfian_envs"


def _class_strokes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One class: control points (MAX_STROKES, 4, 2) in [0, 1], polyline flags, presence mask, pen radius."""
    num_strokes = int(rng.choice(np.arange(1, MAX_STROKES + 1), p=[0.15, 0.35, 0.3, 0.2]))
    controls = rng.uniform(0.12, 0.88, size=(MAX_STROKES, 4, 2))
    polyline = rng.random(MAX_STROKES) < 0.4
    attach = rng.random(MAX_STROKES) < 0.6
    attach_at = rng.uniform(0.0, 1.0, size=MAX_STROKES)
    for k in range(1, num_strokes):
        if attach[k]:
            # Start on an earlier stroke, as pen strokes of real characters join.
            host = int(rng.integers(0, k))
            controls[k, 0] = _stroke_points(controls[host : host + 1], polyline[host : host + 1], attach_at[k : k + 1])[
                0, 0
            ]
    present = np.arange(MAX_STROKES) < num_strokes
    radius = float(rng.uniform(*_RADIUS_RANGE))
    return controls, polyline, present, radius


def _stroke_points(controls: np.ndarray, polyline: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points at parameters ``t`` (T,) along strokes (..., 4, 2): cubic Bezier, or polyline P0-P1-P3."""
    t = t[:, None]
    p0, p1, p2, p3 = (controls[..., i, None, :] for i in range(4))
    u = 1.0 - t
    bezier = u**3 * p0 + 3 * u**2 * t * p1 + 3 * u * t**2 * p2 + t**3 * p3
    first = np.clip(t * 2.0, 0.0, 1.0)
    second = np.clip(t * 2.0 - 1.0, 0.0, 1.0)
    corner = np.where(t < 0.5, p0 + first * (p1 - p0), p1 + second * (p3 - p1))
    return np.where(polyline[..., None, None], corner, bezier)


def _exemplar_points(
    rng: np.random.Generator, controls: np.ndarray, polyline: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Jittered, transformed pen points (count, MAX_STROKES * T, 2) in [0, 1] and radius factors (count,)."""
    jittered = controls[None] + rng.normal(0.0, _CONTROL_JITTER, size=(count, *controls.shape))
    t = np.linspace(0.0, 1.0, POINTS_PER_STROKE)
    points = _stroke_points(jittered, np.broadcast_to(polyline, (count, MAX_STROKES)), t)
    points = points.reshape(count, -1, 2) - 0.5
    angle = rng.normal(0.0, _ROTATION_SD, size=count)
    scale = rng.uniform(*_SCALE_RANGE, size=(count, 2))
    shear = rng.normal(0.0, _SHEAR_SD, size=count)
    shift = rng.normal(0.0, _SHIFT_SD, size=(count, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shearing = np.zeros((count, 2, 2))
    shearing[:, 0, 0] = scale[:, 0]
    shearing[:, 1, 1] = scale[:, 1]
    shearing[:, 0, 1] = shear
    matrix = rotation @ shearing
    points = np.einsum("nij,npj->npi", matrix, points) + 0.5 + shift[:, None, :]
    radius_factor = rng.uniform(*_RADIUS_JITTER, size=count)
    return points, radius_factor


def render_points(
    points: np.ndarray, image_of_point: np.ndarray, radius: np.ndarray, num_images: int, image_size: int
) -> np.ndarray:
    """Rasterise pen points (M, 2) in [0, 1] into uint8 images (num_images, S, S).

    Point ``m`` belongs to image ``image_of_point[m]`` and inks the pixels whose centres lie within
    ``radius[m]`` pixels (anti-aliased over one pixel); a pixel keeps the strongest ink over all
    points, so dense points draw a stroke of even thickness.
    """
    size = image_size
    # A pixel o steps from the point's nearest pixel is >= o - 0.5 away; it is inked only if that is < radius + 0.5.
    half = max(1, int(np.ceil(float(radius.max(initial=0.0)) + 1.0)) - 1)
    offsets = np.arange(-half, half + 1, dtype=np.int32)
    pixels = (points * size - 0.5).astype(np.float32)  # pixel (i, j) has its centre at (i + 0.5, j + 0.5) / size
    base = np.rint(pixels).astype(np.int32)
    column = base[:, 0, None, None] + offsets[None, None, :]  # (M, 1, K): x
    row = base[:, 1, None, None] + offsets[None, :, None]  # (M, K, 1): y
    dx = column - pixels[:, 0, None, None]
    dy = row - pixels[:, 1, None, None]
    ink = np.clip(radius.astype(np.float32)[:, None, None] + 0.5 - np.sqrt(dx * dx + dy * dy), 0.0, 1.0)
    inside = (ink > 0) & (column >= 0) & (column < size) & (row >= 0) & (row < size)
    flat = (image_of_point.astype(np.int64)[:, None, None] * size + row) * size + column
    images = np.zeros(num_images * size * size, dtype=np.float32)
    np.maximum.at(images, flat[inside], ink[inside])
    return np.rint(images.reshape(num_images, size, size) * 255.0).astype(np.uint8)


def generate_glyphs(spec: GlyphSpec | None = None) -> np.ndarray:
    """Generate the data set (no cache): uint8 array (num_classes, exemplars_per_class, size, size)."""
    spec = spec or GlyphSpec()
    count = spec.exemplars_per_class
    all_points, all_present, all_radius = [], [], []
    for class_index in range(spec.num_classes):
        rng = np.random.default_rng([spec.seed, class_index])
        controls, polyline, present, stroke_radius = _class_strokes(rng)
        points, radius_factor = _exemplar_points(rng, controls, polyline, count)
        all_points.append(points)
        all_present.append(np.repeat(present, POINTS_PER_STROKE))
        all_radius.append(stroke_radius * radius_factor * spec.image_size / 32.0)
    # (images, points per image) arrays; absent strokes' points are dropped before rendering.
    points = np.concatenate(all_points)
    present = np.repeat(np.stack(all_present), count, axis=0)
    radius = np.concatenate(all_radius)
    total = points.shape[0]
    images = np.empty((total, spec.image_size, spec.image_size), dtype=np.uint8)
    for start in range(0, total, _CHUNK):
        stop = min(start + _CHUNK, total)
        keep = present[start:stop]
        image_of_point = np.broadcast_to(np.arange(stop - start)[:, None], keep.shape)[keep]
        point_radius = np.broadcast_to(radius[start:stop, None], keep.shape)[keep]
        images[start:stop] = render_points(
            points[start:stop][keep], image_of_point, point_radius, stop - start, spec.image_size
        )
    return images.reshape(spec.num_classes, count, spec.image_size, spec.image_size)


def load_glyphs(spec: GlyphSpec | None = None, cache: bool = True, directory: str | Path | None = None) -> np.ndarray:
    """The data set for ``spec``, read from the cache when present, else generated (and cached if ``cache``)."""
    spec = spec or GlyphSpec()
    folder = Path(directory) if directory is not None else cache_dir()
    path = folder / spec.file_name
    if cache and path.exists():
        images = np.load(path)
        expected = (spec.num_classes, spec.exemplars_per_class, spec.image_size, spec.image_size)
        if images.shape == expected and images.dtype == np.uint8:
            return images
        # A damaged or foreign file: regenerate rather than train on it.
    images = generate_glyphs(spec)
    if cache:
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so parallel workers never read a half-written file.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".glyphs-", suffix=".npy")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.save(stream, images)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return images
