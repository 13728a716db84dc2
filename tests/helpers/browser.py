"""Headless Chromium for the browser tests, driven by Playwright.

Playwright's own browser download does not work on the workshop machines, so it drives the
system's Chromium (Debian's `chromium`, which `make system` installs). `Watched` records what a
page reports while a test drives it: console errors, uncaught exceptions, failed requests, so a
test can assert that nothing went wrong.
"""

import contextlib
import functools
import http.server
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parents[1] / "output" / "screenshots"


@contextlib.contextmanager
def static_server(directory: Path):
    """`directory` served over HTTP on a free port of 127.0.0.1, quietly; yields its URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("no chromium on PATH: run `make system` (Debian package `chromium`)")


class _Shared:
    """One Playwright and one Chromium per test process, whichever test module asks first.
    (Each module that imports the fixture gets its own fixture definition; Playwright's sync API
    cannot run twice at once in one process.)"""

    playwright = None
    browser = None
    users = 0


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, shared by the session (a fresh temporary profile each session)."""
    if _Shared.browser is None:
        from playwright.sync_api import sync_playwright

        _Shared.playwright = sync_playwright().start()
        _Shared.browser = _Shared.playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
    _Shared.users += 1
    yield _Shared.browser
    _Shared.users -= 1
    if _Shared.users == 0:
        _Shared.browser.close()
        _Shared.playwright.stop()
        _Shared.browser = _Shared.playwright = None


@dataclass
class Watched:
    """Problems a page reported: console errors, page errors, failed or 4xx/5xx requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)

    def problems(self, allow_status: tuple[int, ...] = ()) -> list[str]:
        """Everything that went wrong, except responses with a status the test expects (Chromium
        also logs those to the console as "Failed to load resource")."""

        def expected(message: str) -> bool:
            status = re.search(r"Failed to load resource: .*status of (\d+)", message)
            return bool(status) and int(status.group(1)) in allow_status

        console = [m for m in self.console_errors if not expected(m)]
        bad = [r for r in self.error_responses if int(r.split()[0]) not in allow_status]
        return console + self.page_errors + self.failed_requests + bad

    def clear(self) -> None:
        for items in (self.console_errors, self.page_errors, self.failed_requests, self.error_responses):
            items.clear()


def watch(page) -> Watched:
    watched = Watched()
    page.on(
        "console",
        lambda m: watched.console_errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: watched.page_errors.append(f"page error: {e}"))
    page.on(
        "requestfailed", lambda r: watched.failed_requests.append(f"request failed: {r.url} ({r.failure})")
    )
    page.on(
        "response",
        lambda r: (
            watched.error_responses.append(f"{r.status} {r.request.method} {r.url}")
            if r.status >= 400
            else None
        ),
    )
    return watched


def screenshot_dir(name: str) -> Path:
    """tests/output/screenshots/<name>/, emptied first (gitignored: screenshots stay local)."""
    out = SCREENSHOTS / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return out
