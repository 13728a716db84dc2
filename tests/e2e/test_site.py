"""The rendered course, `make site`: built once per session, then read in Chromium.

The build (`python -m workshop.site`, what `make site` runs) executes every solution notebook:
this is the test that the solutions run, cell by cell (cells tagged `raises-exception` may fail,
as under nbval). The site is then served by a local web server and every page is opened: it must
load nothing from elsewhere, report no console error and no failed request, and show every
image. The search must find a word that only one lesson has, and every lesson must link to the
slides, which must open.

SITE_JOBS sets how many notebooks the build executes at a time (default 2).
"""

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

# The shared headless Chromium (one Playwright per test process) and its page watcher.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/
from helpers.browser import browser, screenshot_dir, static_server, watch  # noqa: E402, F401 (a fixture)

from workshop import ROOT, notebooks  # noqa: E402
from workshop import site as builder  # noqa: E402

BUILD_TIMEOUT = 1800  # seconds; executing the notebooks takes a few minutes
WAIT_FOR_IMAGES = """async () => {
  const images = [...document.images];
  await Promise.all(images.map((i) => {
    i.loading = "eager";
    if (i.complete) return null;
    return new Promise((done) => { i.addEventListener("load", done); i.addEventListener("error", done); });
  }));
  return images.map((i) => ({src: i.getAttribute("src"), width: i.naturalWidth,
                             output: !!i.closest(".cell_output")}));
}"""


def lesson_names() -> list[str]:
    return [p.stem for p in notebooks.sources()]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built site (OUT/html); OUT also holds the executed notebooks and the page sources."""
    out = tmp_path_factory.mktemp("site")
    jobs = os.environ.get("SITE_JOBS", "2")
    result = subprocess.run(
        [sys.executable, "-m", "workshop.site", "--out", str(out), "--jobs", jobs],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    noise = re.compile(r"^\[IPKernelApp\] WARNING \| Kernel is running over TCP.*$\n?", re.M)
    assert result.returncode == 0, result.stdout[-5000:] + noise.sub("", result.stderr)[-20000:]
    return out / "html"


@pytest.fixture(scope="session")
def served(site):
    with static_server(site) as url:
        yield url


def pages(site: Path) -> list[str]:
    """Every page of the site, relative to its root: the index, the lessons and the others
    (the decks under slides/ are tested by tests/test_slides.py, and opened below)."""
    found = [p.relative_to(site).as_posix() for p in site.glob("*.html")]
    found += [p.relative_to(site).as_posix() for p in (site / "lessons").glob("*.html")]
    return sorted(found)


def executed(site: Path, name: str):
    """A lesson's page source: the executed notebook (with the site's note)."""
    return nbformat.read(site.parent / "source" / "lessons" / f"{name}.ipynb", as_version=4)


# ---- the build ---------------------------------------------------------------------------------


def test_one_page_per_lesson(site):
    names = lesson_names()
    assert names, "no lesson sources in notebooks/src?"
    assert sorted(p.stem for p in (site / "lessons").glob("*.html")) == sorted(names)
    assert {"index.html", "search.html", "slides.html"} <= {p.name for p in site.glob("*.html")}


def test_the_executed_copies_are_in_the_build_not_in_solutions(site):
    """solutions/ stays output-free (as generated); the build holds the executed copies."""
    for lesson in builder.lessons():
        stored = nbformat.read(lesson.solution, as_version=4)
        assert all(not c.get("outputs") for c in stored.cells), f"{lesson.solution} has outputs"
        copy = nbformat.read(site.parent / "executed" / lesson.solution.name, as_version=4)
        code = [c for c in copy.cells if c.cell_type == "code"]
        assert code and all(c.execution_count for c in code), f"{lesson.name} was not run in full"


def test_pages_reference_nothing_outside_the_site(site):
    for page in pages(site):
        text = (site / page).read_text(encoding="utf-8")
        loaded = re.findall(r"<(?:script|img|iframe|source)\b[^>]*\bsrc=\"([^\"]+)\"", text)
        loaded += re.findall(r"<link\b[^>]*\bhref=\"([^\"]+)\"", text)
        for ref in loaded:
            assert not re.match(r"^(?:[a-z]+:)?//", ref), f"{page} loads {ref} from elsewhere"


# ---- in the browser ----------------------------------------------------------------------------


def test_every_page_opens_with_its_images_and_no_errors(browser, site, served):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watched = watch(page)
    problems = {}
    shots = screenshot_dir("site")  # tests/output/screenshots/site/, one per page (not committed)
    try:
        for path in pages(site):
            watched.clear()
            response = page.goto(f"{served}/{path}", wait_until="load")
            assert response.status == 200, path
            assert page.locator("main h1, article h1").count() >= 1, f"{path} has no title"
            images = page.evaluate(WAIT_FOR_IMAGES)
            broken = [i["src"] for i in images if i["width"] == 0]
            assert not broken, f"{path}: images that did not load: {broken}"
            if path.startswith("lessons/"):
                notebook = executed(site, Path(path).stem)
                outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
                plots = [o for o in outputs if any(m.startswith("image/") for m in o.get("data", {}))]
                assert sum(i["output"] for i in images) == len(plots), f"{path}: a plot is not shown"
                tables = [o for o in outputs if "<table" in o.get("data", {}).get("text/html", "")]
                if tables:
                    assert page.locator(".cell_output table").count() >= len(tables), path
                assert page.get_by_role("heading", name=re.compile("Exercises")).count() >= 1, path
            page.wait_for_load_state("networkidle")
            page.screenshot(path=shots / f"{path.replace('/', '-').removesuffix('.html')}.png")
            if watched.problems():
                problems[path] = list(watched.problems())
    finally:
        page.close()
    assert not problems, json.dumps(problems, indent=2)


def test_every_lesson_links_to_the_slides_and_they_open(browser, site, served):  # noqa: F811
    page = browser.new_page()
    watched = watch(page)
    try:
        page.goto(f"{served}/slides.html")
        decks = page.eval_on_selector_all("a.deck-link", "links => links.map((a) => a.href)")
        assert decks, "the slides page lists no deck"
        page.goto(f"{served}/index.html")
        assert page.eval_on_selector_all("a.deck-link", "links => links.map((a) => a.href)") == decks
        navigation = page.eval_on_selector_all("nav a", "links => links.map((a) => a.href)")
        assert f"{served}/slides.html" in navigation, "the navigation has no slides page"
        for name in lesson_names():
            page.goto(f"{served}/lessons/{name}.html")
            links = page.eval_on_selector_all("a.deck-link", "links => links.map((a) => a.href)")
            assert links == decks, f"{name} does not link to every deck"
            learner = page.locator("a.download", has_text=re.compile("download it"))
            assert learner.count() == 1, f"{name}: no learner notebook to download"
            href = learner.get_attribute("href")
            got = page.request.get(f"{served}/lessons/{href}")
            assert got.ok, href
            assert "# Write your code here." in got.text(), f"{name}: the download is not the learner version"
        page.goto(f"{served}/lessons/{lesson_names()[0]}.html")
        for deck in decks:
            page.goto(deck)
            page.wait_for_function("() => window.Reveal && Reveal.isReady()")
            assert page.evaluate("() => Reveal.getTotalSlides()") > 1, deck
    finally:
        page.close()
    assert not watched.problems(), watched.problems()


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][a-z]+", text)


def unique_words(site: Path) -> dict[str, str]:
    """For each lesson, a word of its prose whose stem (as the search stems it) is in no other
    page: neither in another lesson (code and outputs included) nor in the index or slides page."""
    from sphinx.search.en import SearchEnglish

    stem = SearchEnglish({}).stem
    text = {}
    for name in lesson_names():
        notebook = executed(site, name)
        parts = [c.source for c in notebook.cells]
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                parts.append(output.get("text", ""))
                parts.extend(v for v in output.get("data", {}).values() if isinstance(v, str))
        text[name] = "\n".join(parts)
    # The other pages as rendered (the index lists every lesson's title, and so is searched for it).
    others = "\n".join(
        html.unescape(re.sub(r"<[^>]+>", " ", (site / p).read_text(encoding="utf-8")))
        for p in pages(site)
        if not p.startswith("lessons/")
    )
    stems = {name: {stem(w.lower()) for w in words(t)} for name, t in text.items()}
    common = {stem(w.lower()) for w in words(others)}
    found = {}
    for name in text:
        elsewhere = common.union(*(s for n, s in stems.items() if n != name))
        prose = "\n".join(c.source for c in executed(site, name).cells if c.cell_type == "markdown")
        # A link's target is not text on the page, so not in the search index.
        prose = re.sub(r"https?://\S+", " ", re.sub(r"\]\([^)]*\)", "]", prose))
        candidates = sorted(
            {w for w in words(prose) if len(w) >= 8 and w.islower()},
            key=lambda w: (-len(w), w),
        )
        for word in candidates:
            if stem(word) not in elsewhere:
                found[name] = word
                break
    return found


SEARCH_DONE = """() => {
  const summary = document.querySelector("#search-results .search-summary");
  return summary && /Search finished|did not match/.test(summary.textContent);
}"""


@pytest.mark.parametrize("where", ["server", "file"])
def test_search_finds_the_one_lesson_with_a_word(browser, site, served, where):  # noqa: F811
    chosen = unique_words(site)
    assert chosen, "no lesson has a word of its own?"
    root = served if where == "server" else site.as_uri()
    page = browser.new_page()
    watched = watch(page)
    try:
        # The search box, as a reader uses it (Ctrl+K opens it), then each word by its URL.
        page.goto(f"{root}/index.html")
        page.keyboard.press("Control+k")
        box = page.locator("input[name=q]:visible").first
        box.fill(next(iter(chosen.values())))
        box.press("Enter")
        page.wait_for_function(SEARCH_DONE)
        assert urlparse(page.url).path.endswith("/search.html")
        for name, word in chosen.items():
            page.goto(f"{root}/search.html?q={word}")
            page.wait_for_function(SEARCH_DONE)
            hits = page.eval_on_selector_all(
                "#search-results ul.search li a", "links => links.map((a) => a.href)"
            )
            found = {urlparse(h).path.rsplit("/", 2)[-2:][-1] for h in hits}
            assert found == {f"{name}.html"}, f"searching {word!r} found {hits}, not only {name}"
            page.locator("#search-results ul.search li a").first.click()
            page.wait_for_load_state("load")
            assert urlparse(page.url).path.endswith(f"/lessons/{name}.html")
    finally:
        page.close()
    assert not watched.problems(), watched.problems()
