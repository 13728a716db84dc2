"""The generated parts of README.md and docs/instructor.md: the lessons and their minutes (from
notebooks/src/ and docs/lesson_run_times.json) and the measured numbers (from bench/results.json,
bench/smartcat.json, bench/fuzz.json and bench/load.json), between markers such as

    <!-- generated: lessons -->
    ...
    <!-- end generated: lessons -->

    python -m workshop.readme           # rewrite them
    python -m workshop.readme --check   # exit 1 when a file differs from what they would be

tests/unit/test_docs.py runs the check, so the docs cannot quote a lesson that is gone or a
number the results files do not hold.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from . import ROOT, notebooks

DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "instructor.md")
BENCH = ROOT / "bench"
RUN_TIMES = ROOT / "docs" / "lesson_run_times.json"
#: The decks, and the minutes an instructor plans for each (an estimate, not a measurement).
DECKS = {"workshop": ("slides/workshop.md", 40), "smartcat": ("slides/smartcat.md", 25)}
#: The half day teaches these (the car API from data to a deployed stack), exercises left for after.
HALF_DAY = ("01", "02", "03", "04", "05", "06")
#: The full day teaches every lesson, and does the exercises of these in class: the skills the
#: workshop is for (a route, a handler, serverless.yml, a deployment, an idempotent handler).
FULL_DAY_EXERCISES = ("03", "04", "05", "06", "10")
MARKER = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end generated: \2 -->)", re.DOTALL)
MINUTES = re.compile(r"\*\*Teaching:\*\*\s*(\d+)\s*min\s*·\s*\*\*Exercises:\*\*\s*(\d+)\s*min")


def lessons() -> list[dict]:
    """Each lesson's number, name, title, summary (its first paragraph) and minutes."""
    found = []
    for source in notebooks.sources():
        intro = notebooks.parse(source.read_text(encoding="utf-8")).cells[0].source
        lines = [line.strip() for line in intro.splitlines()]
        title = lines[0].removeprefix("# ").split(" · ", 1)[1]
        paragraph = []
        for line in lines[2:]:
            if not line:  # the paragraph ends at the first blank line
                break
            paragraph.append(line)
        teaching, exercises = (int(n) for n in MINUTES.search(intro).groups())
        found.append(
            {
                "name": source.stem,
                "title": title,
                "summary": " ".join(paragraph),
                "teaching": teaching,
                "exercises": exercises,
            }
        )
    return found


def _lessons_block() -> str:
    rows = ["| lesson | what it teaches | teaching + exercises |", "|---|---|---:|"]
    total = 0
    for lesson in lessons():
        minutes = lesson["teaching"] + lesson["exercises"]
        total += minutes
        rows.append(
            f"| [`{lesson['name']}`](notebooks/{lesson['name']}.ipynb) | **{lesson['title']}**. "
            f"{lesson['summary']} | {lesson['teaching']} + {lesson['exercises']} min |"
        )
    rows.append(f"| | in all | {_hours(total)} |")
    return "\n".join(rows)


def _load(name: str) -> dict:
    return json.loads((BENCH / name).read_text())


def _bench_block() -> str:
    results = _load("results.json")
    rows = [
        "| variant | zipped MB | unzipped MB | cold start s | whole process s | warm p50 ms | warm p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in results["variants"].items():
        role = {results["baseline"]: " (baseline)", results["default"]: " (deployed)"}
        role[results["floor"]] = " (floor)"
        sizes = f"{v['zip_bytes'] / 1e6:.1f} | {v['unzipped_bytes'] / 1e6:.1f}"
        cold = f"{v['cold_start_s']:.3f} | {v['process_s']:.3f}"
        times = f"{cold} | {v['warm_p50_ms']:.2f} | {v['warm_p99_ms']:.2f}"
        rows.append(f"| `{name}`{role.get(name, '')} | {sizes} | {times} |")
    ratios = results["ratios"]
    rows += [
        "",
        f"Measured {results['measured_on']} ({results['machine']}). The deployed API starts in "
        f"{ratios['default_over_floor_cold_start_s']:.2f}× the time of the floor (a minimal Flask + "
        f"serverless-wsgi app that returns a constant; {ratios['default_over_floor_process_s']:.2f}× "
        f"counting the interpreter's start), "
        f"{ratios['sklearn-fat_over_default_cold_start_s']:.1f}× faster than the scikit-learn + pandas "
        f"artifact as osls zips it (stale bytecode) and "
        f"{ratios['sklearn-fat-valid-bytecode_over_default_cold_start_s']:.1f}× faster than the same "
        f"with valid bytecode.",
    ]
    return "\n".join(rows)


def _functions_block() -> str:
    results = _load("results.json")
    rows = ["| function | zipped MB | unzipped MB | largest parts (MB unzipped) |", "|---|---:|---:|---|"]
    for name, f in results["functions"].items():
        largest = ", ".join(f"{part} {size / 1e6:.1f}" for part, size in f["largest"].items())
        rows.append(
            f"| `{name}` | {f['zip_bytes'] / 1e6:.1f} | {f['unzipped_bytes'] / 1e6:.1f} | {largest} |"
        )
    return "\n".join(rows)


def _smartcat_block() -> str:
    smartcat = _load("smartcat.json")
    ocr, page = smartcat["ocr"], smartcat["page_function"]
    rows = [
        "| OCR at 200 dpi, one thread | seconds a page | CPU seconds | macro-F1 | accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, v in ocr["variants"].items():
        if v.get("available"):
            tag = " (default)" if name == ocr["default"] else ""
            seconds = f"{v['seconds_per_page_median']:.2f} | {v['cpu_seconds_per_page_median']:.2f}"
            rows.append(f"| `{name}`{tag} | {seconds} | {v['macro_f1']:.3f} | {v['accuracy']:.3f} |")
    rows += [
        "",
        f"On the {ocr['pages']} scanned held-out pages. Digital pages: "
        f"{smartcat['digital_pages_per_second_per_core']:,.0f} a second on one core (text layer and "
        f"classifier). The page function's artifact is {page['zip_bytes'] / 1e6:.1f} MB zipped, "
        f"{page['unzipped_bytes'] / 1e6:.1f} MB unzipped; cold, it reads its first scanned page in "
        f"{page['cold_start_s']:.2f} s.",
    ]
    return "\n".join(rows)


def _hardening_block() -> str:
    fuzz, load = _load("fuzz.json"), _load("load.json")
    jobs = load["pipeline"]
    post_predict = load["routes"]["POST /predict"]
    return "\n".join(
        [
            f"Last runs ({fuzz['date']}, {load['machine']}): `make fuzz` sent {fuzz['requests']:,} "
            f"requests over {fuzz['operations']} operations and {fuzz['sequences']} stateful sequences "
            f"({fuzz['server_errors']} 5xx, {fuzz['failures']} failures); `make load` sent "
            f"{load['requests']:,} requests from {load['users']} users with {load['errors']} errors, "
            f"{load['requests_per_second']:.0f} req/s, p50 {load['p50_ms']:.0f} ms and p99 "
            f"{load['p99_ms']:.0f} ms (moto is the bottleneck; `POST /predict` p50 "
            f"{post_predict['p50_ms']:.0f} ms), and {jobs['submitted']} SmartCat jobs at once, "
            f"{jobs['done_exactly_right']} done with every page counted once, in {jobs['seconds']:.0f} s.",
        ]
    )


def _hours(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d}"


def _schedule_block() -> str:
    """Minutes per part of a half day (the workshop deck, lessons 01-06 taught, their exercises
    left for after) and of a full day (both decks, every lesson, FULL_DAY_EXERCISES' exercises)."""
    run = json.loads(RUN_TIMES.read_text())
    rows = [
        "| | teaching | exercises | its cells run in | half day | full day |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    half = full = 0
    for deck, (path, minutes) in DECKS.items():
        in_half = minutes if deck == "workshop" else 0
        half, full = half + in_half, full + minutes
        rows.append(f"| deck `{path}` | {minutes} | | | {in_half or ''} | {minutes} |")
    for lesson in lessons():
        number = lesson["name"][:2]
        minutes = lesson["teaching"] + (lesson["exercises"] if number in FULL_DAY_EXERCISES else 0)
        in_half = lesson["teaching"] if number in HALF_DAY else 0
        half, full = half + in_half, full + minutes
        seconds = run["seconds"].get(lesson["name"])
        ran = f"{seconds / 60:.1f} min" if seconds is not None else "not measured"
        rows.append(
            f"| `{lesson['name']}` | {lesson['teaching']} | {lesson['exercises']} | {ran} | "
            f"{in_half or ''} | {minutes} |"
        )
    rows += [
        f"| **in all**, before breaks | | | | **{_hours(half)}** | **{_hours(full)}** |",
        "",
        f"Run times: every solution notebook executed top to bottom by "
        f"`python -m workshop.site --record-times` on {run['measured_on']} ({run['machine']}).",
    ]
    return "\n".join(rows)


BLOCKS = {
    "schedule": _schedule_block,
    "lessons": _lessons_block,
    "bench": _bench_block,
    "functions": _functions_block,
    "smartcat": _smartcat_block,
    "hardening": _hardening_block,
}


def render(text: str) -> str:
    """`text` with every generated block made anew; ValueError for an unknown block."""

    def block(match: re.Match) -> str:
        name = match.group(2)
        if name not in BLOCKS:
            raise ValueError(f"a generated block {name!r} is unknown; known: {', '.join(BLOCKS)}")
        return f"{match.group(1)}{BLOCKS[name]()}\n{match.group(4)}"

    return MARKER.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is not up to date")
    args = parser.parse_args(argv)
    stale = []
    for path in DOCUMENTS:
        current = path.read_text(encoding="utf-8")
        wanted = render(current)
        if current != wanted:
            stale.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    if args.check and stale:
        print(
            f"generated parts out of date in {', '.join(stale)}: run `python -m workshop.readme`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
