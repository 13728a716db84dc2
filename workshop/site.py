"""`make site`: the course as a static web site, the lessons with their outputs, read before the day.

    python -m workshop.site [--out build/site] [--jobs 2] [--no-execute]

1. Executes every solution notebook (solutions/NN_*.ipynb, in notebooks/src/ order) with
   nbclient: one kernel per notebook, started in solutions/ as nbval and JupyterLab do, `--jobs`
   notebooks at a time. Any cell error fails the build, naming the notebook and the cell, except
   in cells tagged `raises-exception` (as nbval allows). The executed copies go to
   OUT/executed/; solutions/ stays output-free. This run is the test that the solutions work.
2. Builds the slide decks with slides/build.py (what `make slides` runs) into OUT/slides/,
   copied to OUT/html/slides/.
3. Renders the executed notebooks, an index and a slides page with Sphinx into OUT/html/: one
   page per lesson (its plots, tables and outputs, the exercises solved, a note that names the
   learner notebook and links to it and to the decks), a search, and the decks in the
   navigation. Open OUT/html/index.html from disk or serve OUT/html with any web server.

The configuration and the page templates are in site/ (site/conf.py is Sphinx's).

Why Sphinx + MyST-NB + sphinx-book-theme, the stack under Jupyter Book 1, used directly. Tried
offline on the workshop's machine:
- Jupyter Book 2 (jupyter-book 2.x on mystmd) cannot build offline: `jupyter-book build --html`
  first downloads its theme from api.mystmd.org ("getaddrinfo ENOTFOUND"), and no npm package
  holds the built theme.
- jupyter-book 1.0.x is in maintenance and pins myst-parser<4, hence markdown-it-py<4, which
  conflicts with requirements/dev.txt (markdown-it-py 4.x). Its parts, Sphinx, MyST-NB and
  sphinx-book-theme, are maintained and install alongside the workshop's pins.
- mkdocs 1.6.1 + mkdocs-material 9.8.1 + mkdocs-jupyter 0.27.0 builds offline, but its pages
  load Google Fonts unless told not to, and its search (a web worker that fetches its index)
  found nothing from file://; MkDocs 1.x has had no release since 2024, and Material for MkDocs
  is in maintenance mode.
Sphinx's search index is a script the page loads, so the search works from file:// as well as
from a web server; the theme ships its fonts and icons; myst-nb writes the outputs' images as
files and keeps HTML tables as they are. site/conf.py keeps out what would load from a CDN
(widget JavaScript; math, which would need MathJax).
"""

import argparse
import concurrent.futures
import html
import json
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import ROOT, notebooks

CONFIG = ROOT / "site"  # conf.py, static files, page templates
DEFAULT_OUT = ROOT / "build" / "site"
RUN_TIMES = ROOT / "docs" / "lesson_run_times.json"  # what --record-times writes
CELL_TIMEOUT = 900  # seconds a cell may take (the packaging lesson builds and deploys artifacts)
WIDGET = "application/vnd.jupyter.widget-view+json"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
LESSONS_DIR = "lessons"  # OUT/html/lessons/NN_*.html
SLIDES_DIR = "slides"  # OUT/html/slides/*.html


@dataclass(frozen=True)
class Lesson:
    name: str  # the source's stem, e.g. "01_explore_cars"
    solution: Path  # solutions/NN_*.ipynb
    learner: Path  # notebooks/NN_*.ipynb


@dataclass(frozen=True)
class Deck:
    file: str  # e.g. "workshop.html", relative to the slides' folder
    title: str


class BuildError(SystemExit):
    pass


def lessons(root: Path = ROOT) -> list[Lesson]:
    """Every lesson, in notebooks/src/ order, with its generated notebooks."""
    dirs = notebooks.output_dirs(root)
    found = [
        Lesson(p.stem, dirs["solution"] / f"{p.stem}.ipynb", dirs["learner"] / f"{p.stem}.ipynb")
        for p in notebooks.sources(root)
    ]
    missing = [str(p) for lesson in found for p in (lesson.solution, lesson.learner) if not p.exists()]
    if missing:
        raise BuildError(f"missing generated notebooks (run `{notebooks.COMMAND}`): {', '.join(missing)}")
    return found


# ---- 1. execute --------------------------------------------------------------------------------


def execute(solution: Path, target: Path, timeout: int = CELL_TIMEOUT) -> tuple[float, str | None]:
    """Run one notebook in a fresh kernel whose cwd is the notebook's folder; write the executed
    copy to `target` (also when a cell failed, to look at). Return (seconds, None) or
    (seconds, what failed): a failure is returned, not raised, so that the others go on."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    started = time.monotonic()
    notebook = nbformat.read(solution, as_version=4)
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    failure = None
    # The kernel talks over Unix sockets in a private directory (over TCP, ipykernel warns that
    # the traffic is not encrypted).
    with tempfile.TemporaryDirectory(prefix="site-kernel-") as sockets:
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            config=Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/kernel"}}),
            timeout=timeout,
            allow_errors=False,  # cells tagged raises-exception may still fail (nbclient's rule)
            store_widget_state=False,  # no widget state: the site loads no widget JavaScript
            resources={"metadata": {"path": str(solution.parent)}},  # the kernel's cwd
            on_cell_start=on_cell_start,
        )
        try:
            client.execute()
        except Exception as e:  # CellExecutionError, CellTimeoutError, DeadKernelError, ...
            failure = describe_failure(solution, notebook, current["index"], e)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return time.monotonic() - started, failure


def describe_failure(solution: Path, notebook, index: int | None, error: Exception) -> str:
    where = solution.relative_to(ROOT) if solution.is_relative_to(ROOT) else solution
    if index is None:
        return f"{where}: the kernel did not start or run: {type(error).__name__}: {error}"
    cell = notebook.cells[index]
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    text = ANSI.sub("", str(error)).strip()
    tail = "\n".join(text.splitlines()[-30:])
    return (
        f"{where}: cell {index} (id {cell.get('id', '?')}, starting {first[:80]!r}) failed "
        f"[{type(error).__name__}]:\n{tail}"
    )


def execute_all(found: list[Lesson], executed: Path, jobs: int) -> dict[str, float]:
    """Execute every solution notebook, `jobs` at a time, in lesson order; raise BuildError
    naming each notebook and cell that failed (after all have run)."""
    seconds, failures = {}, []
    # Threads are enough: each notebook runs in its own kernel process, the thread only relays.
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="notebook") as pool:
        futures = {
            pool.submit(execute, lesson.solution, executed / f"{lesson.name}.ipynb"): lesson
            for lesson in found
        }
        try:
            for future in concurrent.futures.as_completed(futures):
                lesson = futures[future]
                took, failure = future.result()
                seconds[lesson.name] = took
                outcome = "FAILED" if failure else "ran"
                print(f"  {outcome} {lesson.solution.name} in {took:.0f} s", flush=True)
                if failure:
                    failures.append((lesson.name, failure))
        except KeyboardInterrupt:  # Ctrl-C: start no other notebook (the kernels got it too)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    if failures:
        failures.sort()  # in lesson order
        raise BuildError("notebook execution failed:\n\n" + "\n\n".join(f for _, f in failures))
    return seconds


# ---- 2. the slides -----------------------------------------------------------------------------


def build_slides(out: Path) -> list[Deck]:
    """The decks as `make slides` builds them, into `out`; their files and titles, in the order
    of the slides' own index page."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "slides" / "build.py"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise BuildError(f"slides/build.py failed:\n{result.stdout}{result.stderr}")
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"/:]+\.html)">(.*?)</a>', index, re.S)
    decks = [Deck(href, html.unescape(re.sub(r"<[^>]+>", "", title)).strip()) for href, title in links]
    if not decks or not all((out / d.file).is_file() for d in decks):
        raise BuildError(f"no decks found in {out / 'index.html'}")
    return decks


# ---- 3. the pages ------------------------------------------------------------------------------


def template(name: str) -> string.Template:
    return string.Template((CONFIG / "pages" / name).read_text(encoding="utf-8"))


def deck_links(decks: list[Deck], prefix: str, separator: str) -> str:
    """Links to the decks as inline HTML (the decks are files Sphinx copies, not documents)."""
    return separator.join(
        f'<a class="deck-link" href="{prefix}{SLIDES_DIR}/{d.file}">{html.escape(d.title)}</a>' for d in decks
    )


def lesson_page(lesson: Lesson, executed: Path, decks: list[Deck]):
    """The executed notebook, with a note after its introduction: which file this is, the
    learner version (named, and to download) and the slides."""
    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:  # progress bars (tqdm's widgets): their text would say 0%
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET not in o.get("data", {})]
    note = template("lesson-note.md").substitute(
        solution=lesson.solution.relative_to(ROOT).as_posix(),
        learner=lesson.learner.relative_to(ROOT).as_posix(),
        download=f"../downloads/learner/{lesson.name}.ipynb",
        decks=deck_links(decks, "../", " · "),
    )
    cell = nbformat.v4.new_markdown_cell(note, id="site-note")
    notebook.cells.insert(1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0, cell)
    return notebook


def write_sources(found: list[Lesson], executed: Path, decks: list[Deck], source: Path) -> None:
    if source.exists():
        shutil.rmtree(source)
    (source / LESSONS_DIR).mkdir(parents=True)
    (source / "downloads" / "learner").mkdir(parents=True)
    for lesson in found:
        page = lesson_page(lesson, executed / f"{lesson.name}.ipynb", decks)
        nbformat.write(page, source / LESSONS_DIR / f"{lesson.name}.ipynb")
        shutil.copyfile(lesson.learner, source / "downloads" / "learner" / f"{lesson.name}.ipynb")
    items = "\n".join(f"- {deck_links([d], '', '')}" for d in decks)
    (source / "index.md").write_text(
        template("index.md").substitute(
            lessons="\n".join(f"{LESSONS_DIR}/{lesson.name}" for lesson in found), decks=items
        ),
        encoding="utf-8",
    )
    (source / "slides.md").write_text(
        template("slides.md").substitute(decks="\n".join(f"- {deck_links([d], '', '')}" for d in decks)),
        encoding="utf-8",
    )


def run_sphinx(source: Path, html_dir: Path, doctrees: Path) -> None:
    for path in (html_dir, doctrees):
        if path.exists():
            shutil.rmtree(path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "--builder",
            "html",
            "--conf-dir",
            str(CONFIG),
            "--doctree-dir",
            str(doctrees),
            "--fail-on-warning",
            "--keep-going",
            "--quiet",
            str(source),
            str(html_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise BuildError(f"sphinx-build failed:\n{result.stdout}{result.stderr}")


def record_run_times(seconds: dict[str, float], path: Path, jobs: int) -> None:
    """How long each lesson's cells took to run, for docs/instructor.md's schedule (copy the file
    to docs/ with `--record-times`)."""
    document = {
        "measured_on": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {jobs} notebooks at a time",
        "seconds": {name: round(seconds[name], 1) for name in sorted(seconds)},
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def build(out: Path = DEFAULT_OUT, jobs: int = 2, execute_notebooks: bool = True) -> Path:
    """Build the site into out/html/ (executed notebooks in out/executed/); return its index."""
    started = time.monotonic()
    found = lessons()
    executed = out / "executed"
    if execute_notebooks:
        print(f"executing {len(found)} solution notebooks, {jobs} at a time", flush=True)
        if executed.exists():
            shutil.rmtree(executed)
        seconds = execute_all(found, executed, jobs)
        record_run_times(seconds, out / RUN_TIMES.name, jobs)
    else:
        missing = [lesson.name for lesson in found if not (executed / f"{lesson.name}.ipynb").exists()]
        if missing:
            raise BuildError(f"--no-execute, but {executed} has no executed copy of {', '.join(missing)}")
    print("building the slides", flush=True)
    slides = out / "slides"
    decks = build_slides(slides)
    print("rendering the pages", flush=True)
    write_sources(found, executed, decks, out / "source")
    html_dir = out / "html"
    run_sphinx(out / "source", html_dir, out / "doctrees")
    shutil.copytree(slides, html_dir / SLIDES_DIR)
    print(f"built {len(found)} lessons in {time.monotonic() - started:.0f} s", flush=True)
    return html_dir / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="build directory (site in OUT/html)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at a time")
    parser.add_argument(
        "--no-execute",
        dest="execute",
        action="store_false",
        help="reuse the executed notebooks of the last build in OUT/executed (to work on the pages)",
    )
    parser.add_argument(
        "--record-times",
        action="store_true",
        help=f"also write how long each lesson ran to {RUN_TIMES.relative_to(ROOT)} (the instructor guide's)",
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    index = build(args.out.resolve(), args.jobs, args.execute)
    if args.record_times and args.execute:
        shutil.copy(args.out.resolve() / RUN_TIMES.name, RUN_TIMES)
    print(f"{index}  (file://{index})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
