"""Human play: a pygame viewer for every ``Zipfian/*`` env (``zipfian-play ID``, ``python -m zipfian_envs.tools.play``).

The viewer reads the env's own ``key_map`` (pygame key name -> (action, label)) and ``action_names``,
so a new env plugs in without changes here. It shows the agent's observation beside the full-map
``render()`` frame and a text panel, and with ``--record FILE`` writes every finished episode in the
shared record format of :mod:`zipfian_envs.core.records` (policy and protocol ``"human"``), which the
evaluation harness reads back (``zipfian-eval --from-records``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.error import DependencyNotInstalled

from zipfian_envs.core.cli import OneLineParser
from zipfian_envs.core.files import RunFolderError, check_output_file
from zipfian_envs.core.human import import_pygame
from zipfian_envs.core.records import save_records
from zipfian_envs.registration import NAMESPACE, env_ids, register_all, selection_kwargs

PROG = "zipfian-play"
PROTOCOL = "human"
# Viewer keys; an env's key_map may not use them, so R/P/H/Esc work the same in every env.
CONTROL_KEYS = {"r": "next episode (reset)", "p": "pause / resume", "h": "show / hide this help", "escape": "quit"}
# A held move key repeats at a fixed rate of our own, independent of the OS key-repeat settings.
REPEAT_DELAY_S = 0.25
REPEAT_INTERVAL_S = 0.125
DEFAULT_SCALE = 6
MARGIN = 12
BACKGROUND = (24, 24, 28)
TEXT = (232, 232, 232)
DIM = (150, 150, 160)
GOOD = (100, 220, 120)
BAD = (240, 110, 100)
BORDER = (90, 90, 100)


def env_attr(env: gym.Env, name: str, default: Any = None) -> Any:
    """An attribute the env declares, looked up through any wrappers (``default`` if absent)."""
    try:
        return env.get_wrapper_attr(name)
    except AttributeError:
        return default


def as_rgb(image: Any) -> np.ndarray | None:
    """An HxWx3 uint8 copy of a grey, RGB or RGBA image; ``None`` if it is not an image."""
    if isinstance(image, dict):
        image = image.get("image")
    if image is None:
        return None
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4) or min(array.shape[:2]) < 2:
        return None  # e.g. a symbolic observation vector: nothing to draw
    array = array[:, :, :3] if array.shape[2] != 1 else np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array, dtype=np.uint8)


def episode_record(
    env_id: str, level: str | None, seed: int | None, episode: int, info: dict, total: float, length: int
) -> dict[str, Any]:
    """One finished episode as a record in the shared format (protocol ``"human"``)."""
    return {
        "env_id": env_id,
        "level": level,
        "protocol": PROTOCOL,
        "seed": seed,
        "episode": episode,
        "item": info.get("item"),
        "item_rank": info.get("item_rank"),
        "num_items": info.get("num_items"),
        "frequency_bin": info.get("frequency_bin"),
        "return": float(total),
        "length": int(length),
        "success": bool(info.get("success", False)),
        "map_rank": info.get("map_rank"),
    }


class Viewer:
    """Plays one env with the keyboard: observation, full map and a text panel in one pygame window."""

    def __init__(
        self,
        env: gym.Env,
        *,
        env_id: str | None = None,
        seed: int | None = 0,
        scale: int = DEFAULT_SCALE,
        record_path: str | os.PathLike | None = None,
        fps: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pygame = import_pygame()
        self.env = env
        self.env_id = env_id or (env.spec.id if env.spec is not None else type(env.unwrapped).__name__)
        key_map = env_attr(env, "key_map")
        if not key_map:
            raise ValueError(f"{self.env_id} declares no key_map (key name -> (action, label)); cannot play it")
        self.key_map: dict[str, tuple[Any, str]] = {str(k).lower(): tuple(v) for k, v in dict(key_map).items()}
        clashes = sorted(set(self.key_map) & set(CONTROL_KEYS))
        if clashes:
            raise ValueError(f"{self.env_id} key_map uses the viewer's own keys {clashes}; pick other keys")
        self.action_names = tuple(env_attr(env, "action_names", ()) or ())
        self.base_seed = seed
        self.scale = int(scale)
        if self.scale < 1:
            raise ValueError(f"scale must be an integer >= 1, got {scale!r}")
        self.record_path = None if record_path is None else Path(record_path)
        self.fps = fps
        self.now = clock
        self.records: list[dict[str, Any]] = []
        self.tally: dict[str, list[int]] = {}  # frequency_bin -> [successes, episodes]
        self.running = True
        self.paused = False
        self.show_help = False
        self.held_key: str | None = None
        self.next_repeat = 0.0
        self.episode = -1
        self.total_steps = 0

        pygame = self.pygame
        # Not pygame.init(): that also opens audio, which fails noisily on headless machines.
        pygame.display.init()
        pygame.font.init()
        self.font = pygame.font.Font(None, 24)
        self.title_font = pygame.font.Font(None, 30)
        self.reset()
        self._layout()
        self.screen = pygame.display.set_mode(self.size)
        level = self.info.get("level", env_attr(env, "distribution"))
        pygame.display.set_caption(f"{self.env_id}" + (f"  level {level}" if level else ""))
        self.frame_clock = pygame.time.Clock()

    # -- Episode control -----------------------------------------------------------------------
    def reset(self) -> None:
        """Start the next episode (seed incremented per episode so a run is reproducible)."""
        self.episode += 1
        self.seed = None if self.base_seed is None else self.base_seed + self.episode
        self.obs, info = self.env.reset(seed=self.seed)
        self.info = dict(info)
        self.steps = 0
        self.episode_return = 0.0
        self.last_reward = 0.0
        self.last_action: Any = None
        self.done = False
        self.outcome: bool | None = None
        self.held_key = None
        self.frame = self.env.render()

    def act(self, action: Any) -> bool:
        """Take one env step unless paused or the episode is over; return whether it stepped."""
        if self.paused or self.done:
            return False
        self.obs, reward, terminated, truncated, info = self.env.step(action)
        self.info = dict(info)
        self.steps += 1
        self.total_steps += 1
        self.last_reward = float(reward)
        self.episode_return += float(reward)
        self.last_action = action
        self.frame = self.env.render()
        if terminated or truncated:
            self._finish()
        return True

    def _finish(self) -> None:
        self.done = True
        self.outcome = bool(self.info.get("success", False))
        counts = self.tally.setdefault(str(self.info.get("frequency_bin")), [0, 0])
        counts[0] += int(self.outcome)
        counts[1] += 1
        level = self.info.get("level", env_attr(self.env, "distribution"))
        self.records.append(
            episode_record(self.env_id, level, self.seed, self.episode, self.info, self.episode_return, self.steps)
        )
        if self.record_path is not None:
            save_records(self.records, self.record_path, policy=PROTOCOL)  # rewritten whole each time

    # -- Events and timing -----------------------------------------------------------------------
    def handle_event(self, event: Any) -> None:
        """React to one pygame event (keys, window close, focus loss)."""
        pygame = self.pygame
        if event.type in (pygame.QUIT, pygame.WINDOWCLOSE):
            self.running = False
        elif event.type == pygame.WINDOWFOCUSLOST:
            self.held_key = None  # its KEYUP goes to another window; stop repeating
        elif event.type == pygame.KEYUP:
            if pygame.key.name(event.key).lower() == self.held_key:
                self.held_key = None
        elif event.type == pygame.KEYDOWN:
            self._key_down(pygame.key.name(event.key).lower())

    def _key_down(self, name: str) -> None:
        if name == "escape":
            self.running = False
        elif name == "h":
            self.show_help = not self.show_help
        elif name == "p":
            self.paused = not self.paused
            self.held_key = None
        elif name == "r":
            if not self.done:
                self._finish()  # an abandoned episode counts as a failure: skipping hard targets must not pay
            self.reset()
        elif name in self.key_map and not self.paused:
            if self.done:
                self.reset()  # any move key after the end starts the next episode
            elif self.act(self.key_map[name][0]):
                self.held_key = name
                self.next_repeat = self.now() + REPEAT_DELAY_S

    def tick(self) -> None:
        """Repeat the held move key at a fixed rate."""
        if self.held_key is None or self.paused or self.done:
            return
        now = self.now()
        if now >= self.next_repeat:
            self.act(self.key_map[self.held_key][0])
            # From now, not from the due time: after a stall we step once instead of catching up.
            self.next_repeat = now + REPEAT_INTERVAL_S

    def run(self, max_frames: int | None = None, events: Iterable[Any] | None = None) -> int:
        """Run the loop until quit (or ``max_frames``); ``events`` feeds one extra event per frame."""
        pygame = self.pygame
        scripted = iter(events or ())
        frames = 0
        while self.running and (max_frames is None or frames < max_frames):
            # Drain the queue every frame, idle or not, so the OS never sees a frozen window.
            for event in pygame.event.get():
                self.handle_event(event)
            extra = next(scripted, None)
            if extra is not None:
                self.handle_event(extra)
            if not self.running:
                break
            self.tick()
            self.draw()
            frames += 1
            if self.fps:
                self.frame_clock.tick(self.fps)
        return frames

    # -- Drawing ---------------------------------------------------------------------------------
    def _layout(self) -> None:
        obs = as_rgb(self.obs)
        oh, ow = obs.shape[:2] if obs is not None else (64, 64)
        obs_w, obs_h = ow * self.scale, oh * self.scale
        frame = as_rgb(self.frame)
        if frame is None:
            map_w = map_h = 0
        elif frame.shape[0] <= obs_h:  # whole-number zoom keeps pixel art crisp
            zoom = obs_h // frame.shape[0]
            map_w, map_h = frame.shape[1] * zoom, frame.shape[0] * zoom
        else:
            map_w, map_h = round(frame.shape[1] * obs_h / frame.shape[0]), obs_h
        label_h = self.font.get_linesize() + 4
        top = MARGIN + label_h
        pg = self.pygame
        self.obs_rect = pg.Rect(MARGIN, top, obs_w, obs_h)
        self.map_rect = pg.Rect(self.obs_rect.right + 2 * MARGIN, top, map_w, map_h)
        width = max(self.map_rect.right + MARGIN, 720)
        panel_top = top + max(obs_h, map_h) + MARGIN
        panel_h = self.title_font.get_linesize() + 5 * self.font.get_linesize() + 8
        self.panel_rect = pg.Rect(MARGIN, panel_top, width - 2 * MARGIN, panel_h)
        self.size = (width, panel_top + panel_h + MARGIN)

    def _blit_image(self, image: np.ndarray | None, rect: Any, label: str) -> None:
        pygame = self.pygame
        self.screen.blit(self.font.render(label, True, DIM), (rect.x, rect.y - self.font.get_linesize() - 2))
        if image is None or rect.width == 0:
            return
        height, width = image.shape[:2]
        surface = pygame.image.frombuffer(image.tobytes(), (width, height), "RGB")
        # transform.scale is nearest neighbour: every env pixel becomes a crisp square block.
        self.screen.blit(pygame.transform.scale(surface, rect.size), rect.topleft)
        pygame.draw.rect(self.screen, BORDER, rect.inflate(4, 4), 1)

    def _bin_text(self, name: str) -> str:
        wins, total = self.tally.get(name, (0, 0))
        return f"{name} {wins}/{total} ({100 * wins / total:.0f}%)" if total else f"{name} -"

    def panel_lines(self) -> list[tuple[str, tuple[int, int, int]]]:
        """The text panel's lines (title first) with their colours."""
        info = self.info
        item = str(info.get("item", "?")).replace("_", " ")
        instruction = info.get("instruction_text")
        title = f"Instruction: {instruction}" if instruction else f"Find the {item}"
        rank = f"rank {info.get('item_rank', '?')} of {info.get('num_items', '?')} ({info.get('frequency_bin', '?')})"
        map_rank = f"   map rank {info['map_rank']}" if info.get("map_rank") is not None else ""
        move = self._action_label(self.last_action)
        step = f"Episode {self.episode + 1}" + (f" (seed {self.seed})" if self.seed is not None else "")
        step += f"   step {self.steps}   reward {self.last_reward:g}   return {self.episode_return:g}"
        step += f"   last move {move}" if move else ""
        done = sum(total for _, total in self.tally.values())
        wins = sum(won for won, _ in self.tally.values())
        rates = f"Success   {self._bin_text('common')}   {self._bin_text('rare')}   all {wins}/{done}"
        if self.paused:
            status, colour = "PAUSED: press P to resume", BAD
        elif self.done:
            verdict = "Success!" if self.outcome else "Failed."
            status, colour = f"{verdict} Press a move key or R for the next episode", GOOD if self.outcome else BAD
        else:
            status, colour = "H: keys   R: next episode   P: pause   Esc: quit", DIM
        lines = [(title, TEXT), (f"Item: {item}   {rank}{map_rank}", TEXT), (step, TEXT), (rates, TEXT),
                 (status, colour)]  # fmt: skip
        if self.record_path is not None:
            lines.append((f"Recording: {len(self.records)} episode(s) saved to {self.record_path}", DIM))
        return lines

    def _action_label(self, action: Any) -> str:
        if action is None:
            return ""
        labels = [label for act, label in self.key_map.values() if act == action]
        if labels:
            return labels[0]
        if isinstance(action, (int, np.integer)) and 0 <= int(action) < len(self.action_names):
            return str(self.action_names[int(action)])
        return str(action)

    def help_lines(self) -> list[str]:
        """Help overlay text: every action with its keys (from the env's key_map), then the viewer keys."""
        by_action: dict[Any, tuple[str, list[str]]] = {}
        for key, (action, label) in self.key_map.items():
            by_action.setdefault(action, (label, []))[1].append(key.upper() if len(key) == 1 else key.title())
        lines = ["Keys (hold a move key to repeat)", ""]
        lines += [f"{label}: {' / '.join(keys)}" for label, keys in by_action.values()]
        lines += [""] + [f"{(k.upper() if len(k) == 1 else 'Esc')}: {what}" for k, what in CONTROL_KEYS.items()]
        return lines

    def _draw_help(self) -> None:
        pygame = self.pygame
        shade = pygame.Surface(self.size, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 215))
        self.screen.blit(shade, (0, 0))
        step = self.font.get_linesize() + 2
        rows = max(1, (self.size[1] - 4 * MARGIN) // step)
        # Wrap into columns so an env with many actions still fits the window.
        for i, line in enumerate(self.help_lines()):
            column, row = divmod(i, rows)
            colour = TEXT if i else GOOD
            self.screen.blit(self.font.render(line, True, colour), (3 * MARGIN + column * 300, 2 * MARGIN + row * step))

    def draw(self) -> None:
        """Draw the whole window and flip it."""
        self.screen.fill(BACKGROUND)
        self._blit_image(as_rgb(self.obs), self.obs_rect, f"Agent's view (x{self.scale})")
        self._blit_image(as_rgb(self.frame), self.map_rect, "Whole map (target framed)")
        y = self.panel_rect.y
        for i, (line, colour) in enumerate(self.panel_lines()):
            font = self.title_font if i == 0 else self.font
            self.screen.blit(font.render(line, True, colour), (self.panel_rect.x, y))
            y += font.get_linesize() + (4 if i == 0 else 0)
        if self.show_help:
            self._draw_help()
        self.pygame.display.flip()

    def screenshot(self, path: str | os.PathLike) -> None:
        """Save the current window as an image (PNG for a ``.png`` path)."""
        self.pygame.image.save(self.screen, str(path))

    def close(self) -> None:
        """Close the window (the env stays open: its owner closes it)."""
        self.pygame.display.quit()


# -- Command line ----------------------------------------------------------------------------------
def resolve_env_id(name: str) -> str | None:
    """The registered id for ``name`` (the ``Zipfian/`` prefix may be left out), or ``None``."""
    register_all()
    for candidate in (name, f"{NAMESPACE}/{name}"):
        if candidate in gym.registry:
            return candidate
    return None


def build_parser() -> argparse.ArgumentParser:
    """The ``zipfian-play`` argument parser."""
    parser = OneLineParser(prog=PROG, description="Play a Zipfian environment with the keyboard.")
    parser.add_argument("env_id", help="e.g. Zipfian/Gridworld-v0 (the Zipfian/ prefix may be left out)")
    parser.add_argument("--level", help="level name, e.g. zipf_2, uniform, uniform_rare (default: the id's own)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode; +1 per episode (default 0)")
    parser.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="observation zoom (default %(default)s)")
    parser.add_argument("--record", metavar="FILE", help="write each finished episode here (CSV, or .jsonl)")
    parser.add_argument("--overwrite", action="store_true", help="replace a --record file that holds episodes")
    return parser


def _fail(message: str, code: int = 2) -> int:
    # One line on stderr, no traceback: the first line of any multi-line library message.
    lines = str(message).strip().splitlines() or ["error"]
    print(f"{PROG}: {lines[0]}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zipfian-play``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if not 1 <= args.scale <= 32:
        return _fail(f"--scale must be in 1..32, got {args.scale}")
    if args.seed < 0:
        return _fail(f"--seed must be >= 0 (episode i plays seed + i), got {args.seed}")
    if args.record is not None and Path(args.record).is_dir():
        return _fail(f"--record must be a file path (CSV, or .jsonl), got the folder {args.record!r}")
    if args.record is not None:
        try:
            check_output_file(args.record, "--record")
        except RunFolderError as error:
            return _fail(str(error))
        if Path(args.record).suffix.lower() == ".json":  # records are CSV or JSON lines; .json names a result
            return _fail(f"--record {args.record}: records are CSV or JSON lines; name the file .csv or .jsonl")
        if Path(args.record).is_file() and Path(args.record).stat().st_size and not args.overwrite:
            # The file is rewritten whole after each episode: an earlier session's episodes would be lost.
            return _fail(f"--record {args.record} already holds episodes; pass --overwrite to replace them, "
                         "or give another file")  # fmt: skip
    env_id = resolve_env_id(args.env_id)
    if env_id is None:
        return _fail(f"unknown environment id {args.env_id!r}; valid: {', '.join(env_ids())}")
    try:
        import_pygame()
    except DependencyNotInstalled as error:
        return _fail(str(error), code=1)
    # The viewer shows the observation itself, so the env's frame need only be the map.
    kwargs: dict[str, Any] = {"render_mode": "rgb_array", "render_view": "map"}
    if args.level is not None:
        kwargs.update(selection_kwargs(args.level))
    with warnings.catch_warnings(record=True) as caught:  # a bad old-style level warns, then fails: one line
        warnings.simplefilter("always")
        try:
            env = gym.make(env_id, **kwargs)
        except (ValueError, TypeError, gym.error.Error) as error:
            return _fail(f"cannot make {env_id}: {error}")
    for warning in caught:  # the env was made: its warnings (a deprecated level name) are shown after all
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    viewer = None
    try:
        viewer = Viewer(env, env_id=env_id, seed=args.seed, scale=args.scale, record_path=args.record)
        viewer.run()
    except ValueError as error:  # e.g. an env without a usable key_map
        return _fail(str(error))
    except KeyboardInterrupt:  # Ctrl-C in the terminal quits like Esc; finished episodes are already saved
        interrupted = True
    else:
        interrupted = False
    finally:
        if viewer is not None:
            viewer.close()
        env.close()
    if interrupted:
        saved = f"; {len(viewer.records)} episode(s) saved in {args.record}" if viewer and args.record else ""
        print(f"{PROG}: interrupted{saved}", file=sys.stderr)
        return 130
    if viewer is not None and args.record:
        print(f"{PROG}: {len(viewer.records)} episode(s) written to {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
