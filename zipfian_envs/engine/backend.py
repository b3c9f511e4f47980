"""Which renderer draws the first-person frames: numba-compiled loops, or numpy (the reference).

The same choice covers the compiled movement and touch kernels of :mod:`.physics` (exactly the
Python physics' results, as the frames are exactly numpy's).

Both draw the same pixels, bit for bit (``tests/test_engine_compiled.py``). The compiled one is
used when numba imports (``pip install "zipfian-envs[fast]"``); the environment variable
``ZIPFIAN_ENVS_RENDER`` (read at the first frame) or :func:`set_render_backend` choose:

* ``auto`` (the default): numba if it imports, else numpy;
* ``numba``: numba, and an ``ImportError`` if it is missing;
* ``numpy``: numpy, even with numba installed.

The variable is inherited by worker processes (``AsyncVectorEnv``, ``SubprocVecEnv``), so it is the
way to choose for all of them; :func:`set_render_backend` changes this process only.

This is the one module that chooses: :func:`render_packed`, :func:`render_view`, :func:`render_batch`
and :func:`render_batch_rgb` draw with the chosen renderer, while :mod:`.raycast` and :mod:`.batch`
are the numpy renderers alone (the compiled module builds on their public tables, so they never
import this one: no import cycle).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

import numpy as np

from zipfian_envs.engine import batch, raycast
from zipfian_envs.engine.colours import unpack
from zipfian_envs.engine.raycast import DEFAULT_CAMERA, NO_EXTRAS, Camera, View
from zipfian_envs.engine.world import Grid, Pose

ENV_VAR = "ZIPFIAN_ENVS_RENDER"
CHOICES = ("auto", "numba", "numpy")

_resolved: str | None = None  # "numba" or "numpy" once chosen
_kernels: ModuleType | None = None


def _check(name: object, source: str) -> str:
    if not isinstance(name, str) or name.strip().lower() not in CHOICES:
        raise ValueError(f"unknown render backend {name!r} (from {source}); valid: {', '.join(CHOICES)}")
    return name.strip().lower()


def _resolve(choice: str) -> str:
    global _kernels
    if choice == "numpy":
        return "numpy"
    try:
        from zipfian_envs.engine import compiled as kernels
    except ImportError as error:
        if choice == "numba":
            raise ImportError(
                f"the numba render backend needs numba: pip install 'zipfian-envs[fast]' ({error})"
            ) from error
        return "numpy"
    except Exception as error:  # numba present but unusable here (e.g. no writable cache directory)
        if choice == "numba":
            raise
        message = f"numba is installed but the compiled renderer failed to load ({error!r}); rendering with numpy"
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return "numpy"
    _kernels = kernels
    return "numba"


def set_render_backend(name: str | None = "auto") -> str:
    """Choose this process's renderer (``auto``, ``numba``, ``numpy``; None: from the variable); returns it."""
    global _resolved
    choice = _check(os.environ.get(ENV_VAR, "auto"), f"${ENV_VAR}") if name is None else _check(name, "argument")
    _resolved = _resolve(choice)
    return _resolved


def render_backend() -> str:
    """The renderer in use, ``"numba"`` or ``"numpy"`` (chosen from ``ZIPFIAN_ENVS_RENDER`` on the first call)."""
    return _resolved if _resolved is not None else set_render_backend(None)


@contextmanager
def using_render_backend(name: str) -> Iterator[str]:
    """Render with backend ``name`` inside a ``with`` block, then restore the previous choice."""
    before = render_backend()
    try:
        yield set_render_backend(name)
    finally:
        set_render_backend(before)


def compiled() -> ModuleType | None:
    """:mod:`.compiled` when the numba renderer is in use, else None (what the renderers check per frame)."""
    if _resolved is None:
        set_render_backend(None)
    return _kernels if _resolved == "numba" else None


def warm_up() -> float:
    """Compile or load the kernels now (else the first frame does); returns the seconds it took (0 with numpy)."""
    import time

    module = compiled()
    if module is None:
        return 0.0
    start = time.perf_counter()
    module.kernels.warm_up()
    return time.perf_counter() - start


def render_packed(grid: Grid, pose: Pose, camera: Camera = DEFAULT_CAMERA, view: View = NO_EXTRAS) -> np.ndarray:
    """The first-person image as packed (height, width) uint32 colours, from the chosen renderer."""
    fast = compiled()
    if fast is not None:
        return fast.render_packed(grid, pose, camera, view)
    return raycast.render_packed(grid, pose, camera, view)


def render_view(grid: Grid, pose: Pose, camera: Camera = DEFAULT_CAMERA, view: View = NO_EXTRAS) -> np.ndarray:
    """The agent's first-person RGB image, (height, width, 3) uint8, from the chosen renderer."""
    return unpack(render_packed(grid, pose, camera, view))


def render_batch(frames: Sequence[batch.Frame], camera: Camera, chunk: int = batch.DEFAULT_CHUNK) -> np.ndarray:
    """:func:`.batch.render_batch` drawn by the chosen renderer: (N, H, W) packed images."""
    fast = compiled()
    return batch.render_batch(frames, camera, chunk, draw=None if fast is None else fast.render_chunk)


def render_batch_rgb(
    frames: Sequence[batch.Frame],
    camera: Camera,
    overlay: Callable[[int, np.ndarray], None] | None = None,
    chunk: int = batch.DEFAULT_CHUNK,
) -> np.ndarray:
    """:func:`.batch.render_batch_rgb` drawn (and unpacked) by the chosen renderer: (N, H, W, 3) uint8."""
    fast = compiled()
    if fast is None:
        return batch.render_batch_rgb(frames, camera, overlay, chunk)

    def unpack_into(packed: np.ndarray, rgb: np.ndarray) -> None:
        fast.kernels.unpack(packed.reshape(-1), rgb.reshape(-1))

    return batch.render_batch_rgb(frames, camera, overlay, chunk, draw=fast.render_chunk, unpack_into=unpack_into)
