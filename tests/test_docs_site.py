"""The documentation site: generated pages up to date, ``mkdocs build --strict``, pages render in Chromium.

The browser check serves the built site on localhost and opens a page in headless Chromium inside a
same-origin frame; a script then reports every image of the page (loaded, decoded width), which
``--dump-dom`` prints. Skipped without the ``docs`` extra (mkdocs) or without a Chromium binary
(Debian: ``apt-get install chromium``; ``.ci/run`` installs it and sets ``ZIPFIAN_REQUIRE_CHROMIUM=1``,
so there a missing binary fails). ``ZIPFIAN_DOCS_SITE=DIR`` reuses a site already built there (CI builds
it once, before the tests).
"""

from __future__ import annotations

import functools
import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def _gen_docs():
    """The generator script as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_and_tables_are_up_to_date():
    pytest.importorskip("scipy")  # the result tables go through the schema-checked reader (eval extra)
    stale = [
        path.relative_to(ROOT).as_posix()
        for path, text in _gen_docs().generated_files().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"out of date, run python scripts/gen_docs.py: {stale}"


def test_the_readme_is_short_and_links_into_the_docs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    for target in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / target).is_file(), target


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_the_first_python_example_runs_without_warnings(page: str):
    source = re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.DOTALL)[0]
    assert len(source.strip().splitlines()) <= 10
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        exec(compile(source, page, "exec"), {"__name__": "readme_example"})


def test_every_family_and_level_has_a_small_clip():
    from zipfian_envs.labyrinth.levels import LEVEL_ORDER
    from zipfian_envs.registration import FAMILIES

    clips = ROOT / "docs" / "assets" / "episodes"
    names = [family.name for family in FAMILIES] + list(LEVEL_ORDER)
    sizes = {name: (clips / f"{name}.webp").stat().st_size for name in names}
    assert all(1_000 < size < 600_000 for size in sizes.values()), sizes
    assert sum(path.stat().st_size for path in (ROOT / "docs").rglob("*") if path.is_file()) < 20_000_000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: ``$ZIPFIAN_DOCS_SITE`` if set, else ``mkdocs build --strict`` into a scratch folder."""
    prebuilt = os.environ.get("ZIPFIAN_DOCS_SITE")
    if prebuilt:
        assert (Path(prebuilt) / "index.html").is_file(), f"ZIPFIAN_DOCS_SITE={prebuilt} holds no built site"
        return Path(prebuilt)
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def test_mkdocs_build_strict_writes_every_page(site: Path):
    for page in ("index.html", "environments/labyrinth/rooms/index.html", "api/index.html", "changelog/index.html",
                 "baselines/gridworld/index.html", "results/gridworld/default/learning_curves.png"):
        assert (site / page).is_file(), page


CHECK_PAGE = """<!doctype html><html><body><pre id="report">pending</pre>
<iframe id="page" src="{src}" style="width:1280px;height:30000px;border:0"></iframe>
<script>
window.addEventListener("load", () => {{
  const doc = document.getElementById("page").contentDocument;
  const images = Array.from(doc.images).map(img => ({{
    src: img.getAttribute("src"), complete: img.complete, width: img.naturalWidth}}));
  const h1 = doc.querySelector("article h1, h1");
  document.getElementById("report").textContent = JSON.stringify({{
    title: doc.title, h1: h1 ? h1.textContent : null, images: images}});
}});
</script></body></html>"""


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site, plus ``/__check__?page=URL``: the page in a frame and a script reporting its images."""

    def do_GET(self) -> None:
        """Answer the check page, or a file of the site."""
        url = urlparse(self.path)
        if url.path != "/__check__":
            super().do_GET()
            return
        body = CHECK_PAGE.format(src=html.escape(parse_qs(url.query)["page"][0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site served on localhost; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _chromium() -> str | None:
    """The first Chromium binary on PATH."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _open_in_chromium(server: str, page: str, profile: Path) -> dict:
    """Open a page of the site in headless Chromium and return the check script's report."""
    binary = _chromium()
    if binary is None:
        if os.environ.get("ZIPFIAN_REQUIRE_CHROMIUM"):
            pytest.fail("ZIPFIAN_REQUIRE_CHROMIUM is set but no Chromium binary is on PATH (apt-get install chromium)")
        pytest.skip("no Chromium binary (apt-get install chromium)")
    run = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom",
         f"{server}/__check__?page=/{page}"],
        capture_output=True, text=True, timeout=180,
    )
    match = re.search(r'<pre id="report">(.*?)</pre>', run.stdout, re.DOTALL)
    assert match and match[1] != "pending", f"no report from Chromium (rc {run.returncode}): {run.stderr[-2000:]}"
    return json.loads(html.unescape(match[1]))


@pytest.mark.parametrize(
    ("page", "heading", "images"),
    [
        ("", "zipfian-envs", ["assets/envs.png", "Gridworld.webp", "Labyrinth.webp", "Playroom.webp"]),
        ("environments/labyrinth/rooms/", "Labyrinth: Rooms levels",
         ["rooms_watermaze.webp", "rooms_keys_doors_puzzle.webp"]),
    ],
)
def test_pages_render_with_their_images_in_chromium(server: str, tmp_path: Path, page: str, heading: str,
                                                     images: list[str]):
    report = _open_in_chromium(server, page, tmp_path / "profile")
    assert report["h1"] and report["h1"].strip().startswith(heading), report
    assert "zipfian-envs" in report["title"]
    for name in images:
        assert any(image["src"].endswith(name) for image in report["images"]), (name, report["images"])
    broken = [image for image in report["images"] if not (image["complete"] and image["width"] > 0)]
    assert not broken, broken
