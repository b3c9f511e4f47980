"""A minimal pygame window for ``render_mode="human"`` (pygame is imported only here, lazily)."""

from __future__ import annotations

import os
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from gymnasium.error import DependencyNotInstalled

from zipfian_envs.core.types import Image

if TYPE_CHECKING:
    import pygame


def import_pygame() -> ModuleType:
    """Import pygame or raise ``DependencyNotInstalled`` with the install hint."""
    # pygame prints a banner to stdout on import; keep CLI output and test logs clean.
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame
    except ImportError as error:
        raise DependencyNotInstalled(
            'pygame is not installed; run `pip install "zipfian-envs[viewer]"` to use human rendering'
        ) from error
    return pygame


def key_code(pygame: ModuleType, name: str) -> int:
    """The pygame key code of a key name such as ``"up"``, ``"space"`` or ``"w"`` (a ``ValueError`` if unknown)."""
    # pygame's constants rather than pygame.key.key_code, which warns unless pygame.init() ran.
    for constant in (f"K_{name}", f"K_{name.upper()}"):
        code = getattr(pygame, constant, None)
        if isinstance(code, int):
            return code
    raise ValueError(f"unknown key name {name!r} in key_map; valid: pygame key names such as 'up', 'space', 'w'")


class HumanWindow:
    """Shows RGB frames scaled up with nearest-neighbour pixels at a fixed frame rate."""

    def __init__(self, title: str, scale: int = 4) -> None:
        self.pygame = import_pygame()
        self.title = title
        self.scale = scale
        self.surface: pygame.Surface | None = None
        self.clock: pygame.time.Clock | None = None

    def show(self, frame: Image, fps: int) -> None:
        """Draw one frame and keep the window responsive."""
        pygame = self.pygame
        height, width = frame.shape[:2]
        size = (width * self.scale, height * self.scale)
        surface, clock = self.surface, self.clock
        if surface is None or clock is None:
            pygame.display.init()
            pygame.display.set_caption(self.title)
            self.surface = surface = pygame.display.set_mode(size)
            self.clock = clock = pygame.time.Clock()
        pygame.event.pump()
        image = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        surface.blit(pygame.transform.scale(image, size), (0, 0))
        pygame.display.flip()
        clock.tick(fps)

    def close(self) -> None:
        """Close the window."""
        if self.surface is not None:
            self.pygame.display.quit()
            self.surface = None


class RendersForHumans:
    """``render()`` dispatch, the pygame window and pickling without it, shared by the first-person envs.

    A subclass sets ``window_title`` and implements ``_render_frame()`` (the RGB frame both modes show);
    ``render_mode`` and ``metadata["render_fps"]`` come from the Gymnasium env.
    """

    window_title = "Zipfian"
    _window: HumanWindow | None = None
    # Set by gymnasium.Env (declared here for the type checker only: no class attributes).
    render_mode: str | None
    metadata: dict[str, Any]
    # Set by each env class: viewer key name (pygame.key.name) -> (action, label), and the action names.
    key_map: dict[str, tuple[Any, str]]
    action_names: tuple[str, ...]
    # The action ``gymnasium.utils.play.play(env, noop=...)`` takes while no key is held: each env class
    # names one of its own actions (a family without a no-op documents what its choice does).
    play_noop: Any = 0

    def get_keys_to_action(self) -> dict[tuple[int, ...], Any]:
        """``gymnasium.utils.play`` keys: each ``key_map`` key as a one-key pygame key-code tuple -> its action."""
        pygame = import_pygame()
        return {(key_code(pygame, name),): action for name, (action, _) in self.key_map.items()}

    def get_action_meanings(self) -> list[str]:
        """The names of the discrete actions, in action-index order (as the env declares them, lower case)."""
        return list(self.action_names)

    def _render_frame(self) -> Image:
        raise NotImplementedError

    def render(self) -> Image | None:
        """Dispatch on ``render_mode``: the frame as an RGB array, or drawn in a pygame window."""
        if self.render_mode is None:
            from gymnasium import logger

            logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'human'")
            return None
        frame = self._render_frame()
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = HumanWindow(self.window_title, scale=max(1, -(-480 // max(frame.shape[:2]))))
        self._window.show(frame, self.metadata["render_fps"])
        return None

    def close(self) -> None:
        """Close the pygame window if one is open."""
        if self._window is not None:
            self._window.close()
            self._window = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_window"] = None
        return state
