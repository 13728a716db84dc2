"""`make slides`: the reveal.js decks as static HTML that opens from disk or from any web server.

    .venv/bin/python slides/build.py [--out slides/build] [--bench bench/results.json]

Each deck (`slides/<deck>.md`) is embedded in its page, because a browser will not fetch
markdown from a file:// URL. Placeholders `{{ name }}` in the markdown are filled here: the
benchmark numbers from bench/results.json (the table is bench/lambda_variants.py's own), the
prices below, and values read from serverless.yml, so the decks quote what `make bench` measured
and what is deployed. reveal.js and its plugins are copied from node_modules (pinned in
package.json); the diagrams are drawn by slides/diagrams.py.
"""

import argparse
import html
import importlib.util
import json
import math
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import diagrams  # noqa: E402 (needs HERE on sys.path)

from workshop.deploy import UNZIPPED_LIMIT, ZIPPED_LIMIT  # noqa: E402
from workshop.serverless_config import read_serverless_yml  # noqa: E402

DECKS = {
    "workshop": "Serverless ML on AWS Lambda",
    "smartcat": "SmartCat: sorting paperwork with a serverless pipeline",
}
REVEAL = ROOT / "node_modules" / "reveal.js" / "dist"
REVEAL_FILES = [
    "reset.css",
    "reveal.css",
    "reveal.js",
    "theme/white.css",
    "plugin/highlight/monokai.css",
    "plugin/markdown.js",
    "plugin/highlight.js",
    "plugin/notes.js",
]
BENCH = ROOT / "bench" / "results.json"
BENCH_PLOT = ROOT / "bench" / "results.png"

# Prices as published by AWS for eu-central-1 (Frankfurt), x86, free tier ignored. The same
# parameters as notebook 06 (tests/e2e/test_slides.py checks that they agree).
PRICES = {
    "read": "2026-11-22",
    "region": "eu-central-1",
    "lambda_usd_per_gb_second": 0.0000166667,
    "lambda_usd_per_million_requests": 0.20,
    "rest_api_usd_per_million": 3.50,  # the first 333 million requests a month
    "http_api_usd_per_million": 1.00,
}
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, a proportional share below

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


def _bench_module():
    """bench/lambda_variants.py (a script, not a package): its table and its variants."""
    spec = importlib.util.spec_from_file_location("lambda_variants", ROOT / "bench" / "lambda_variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cost_table(results: dict, memory_mb: int) -> str:
    """US$ per million warm requests, by item, for the baseline and the deployed variant."""
    lines = [
        "| per million requests | " + " | ".join((results["baseline"], results["default"])) + " |",
        "|---|---:|---:|",
    ]
    rows: dict[str, list[str]] = {
        "billed duration per request": [],
        "Lambda compute": [],
        "Lambda requests": [],
        "API Gateway (REST API)": [],
        "total": [],
    }
    for name in (results["baseline"], results["default"]):
        variant = results["variants"][name]
        # CPU-bound time grows by 1,769 / memory below one full vCPU; billed in whole ms.
        billed_ms = math.ceil(variant["warm_p50_ms"] * max(1.0, FULL_VCPU_MB / memory_mb))
        compute = 1e6 * billed_ms / 1000 * memory_mb / 1024 * PRICES["lambda_usd_per_gb_second"]
        requests = PRICES["lambda_usd_per_million_requests"]
        gateway = PRICES["rest_api_usd_per_million"]
        rows["billed duration per request"].append(f"{billed_ms} ms")
        rows["Lambda compute"].append(f"${compute:.3f}")
        rows["Lambda requests"].append(f"${requests:.2f}")
        rows["API Gateway (REST API)"].append(f"${gateway:.2f}")
        rows["total"].append(f"**${compute + requests + gateway:.2f}**")
    lines += [f"| {item} | " + " | ".join(cells) + " |" for item, cells in rows.items()]
    return "\n".join(lines)


def values(results: dict) -> dict[str, str]:
    """Every placeholder the decks may use, as text."""
    bench = _bench_module()
    serverless = read_serverless_yml()
    provider = serverless["provider"]
    memory = int(provider["memorySize"])
    out = {
        "bench_table": bench.table(results),
        "bench_variants": "\n".join(
            f"- `{name}`: {spec['about']}"
            for name, spec in bench.VARIANTS.items()
            if name in results["variants"]
        ),
        "cost_table": cost_table(results, memory),
        "memory_mb": f"{memory:,}",
        "runtime": provider["runtime"],
        "timeout_s": str(provider["timeout"]),
        "throttle_rate": str(provider["apiGateway"]["usagePlan"]["throttle"]["rateLimit"]),
        "throttle_burst": str(provider["apiGateway"]["usagePlan"]["throttle"]["burstLimit"]),
        "quota": f"{provider['apiGateway']['usagePlan']['quota']['limit']:,}",
        "limit_zipped_bytes": f"{ZIPPED_LIMIT:,}",
        "limit_unzipped_bytes": f"{UNZIPPED_LIMIT:,}",
    }
    out |= {
        f"price.{key}": (value if isinstance(value, str) else f"{value:g}") for key, value in PRICES.items()
    }
    formats = {
        "zip_bytes": lambda v: f"{v / 1e6:.1f} MB",
        "unzipped_bytes": lambda v: f"{v / 1e6:.1f} MB",
        "cold_start_s": lambda v: f"{v:.2f} s",
        "warm_p50_ms": lambda v: f"{v:.2f} ms",
        "warm_p99_ms": lambda v: f"{v:.2f} ms",
        "peak_rss_mb": lambda v: f"{v:.0f} MB",
    }
    for role in ("baseline", "default"):
        out[f"bench.{role}"] = results[role]
    for name, variant in results["variants"].items():
        for metric, value in variant.items():
            out[f"bench.{name}.{metric}"] = formats[metric](value)
    base, default = (results["variants"][results[r]] for r in ("baseline", "default"))
    out["bench.cold_speedup"] = f"{base['cold_start_s'] / default['cold_start_s']:.0f}×"
    out["bench.zip_ratio"] = f"{base['zip_bytes'] / default['zip_bytes']:.0f}×"
    return out


def fill(markdown: str, known: dict[str, str], deck: str) -> str:
    missing = sorted({m for m in PLACEHOLDER.findall(markdown) if m not in known})
    if missing:
        raise SystemExit(f"slides/{deck}.md: unknown placeholder(s) {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: known[m.group(1)], markdown)


PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="reveal/reset.css">
  <link rel="stylesheet" href="reveal/reveal.css">
  <link rel="stylesheet" href="reveal/theme/white.css">
  <link rel="stylesheet" href="reveal/plugin/highlight/monokai.css">
  <link rel="stylesheet" href="deck.css">
</head>
<body>
<div class="reveal"><div class="slides">
<section data-markdown data-separator="^---$" data-separator-vertical="^\\.>>$"
         data-separator-notes="^Note:">
<textarea data-template>
{markdown}
</textarea>
</section>
</div></div>
<script src="reveal/reveal.js"></script>
<script src="reveal/plugin/markdown.js"></script>
<script src="reveal/plugin/highlight.js"></script>
<script src="reveal/plugin/notes.js"></script>
<script>
  Reveal.initialize({{hash: true, slideNumber: "c/t", width: 1280, height: 800,
                     plugins: [RevealMarkdown, RevealHighlight, RevealNotes]}});
</script>
</body>
</html>
"""

INDEX = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Serverless ML workshop: slides</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="deck.css"></head>
<body class="index"><main><h1>Serverless ML workshop: slides</h1><ul>
{items}
</ul><p>Press <kbd>S</kbd> in a deck for the speaker view (notes), <kbd>Esc</kbd> for the
overview.</p></main></body>
</html>
"""


def build(out: Path, bench: Path = BENCH) -> list[Path]:
    """Write the decks, reveal.js and the diagrams into `out`; return the decks' pages."""
    if not REVEAL.is_dir():
        raise SystemExit(f"{REVEAL} is missing: run `npm ci` (make slides does)")
    results = json.loads(bench.read_text())
    known = values(results)
    if out.exists():
        shutil.rmtree(out)
    for name in REVEAL_FILES:
        target = out / "reveal" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REVEAL / name, target)
    shutil.copyfile(HERE / "deck.css", out / "deck.css")
    diagrams.write_all(out / "diagrams")
    shutil.copyfile(BENCH_PLOT, out / "diagrams" / "bench-results.png")
    pages = []
    for deck, title in DECKS.items():
        markdown = fill((HERE / f"{deck}.md").read_text(encoding="utf-8"), known, deck)
        # Inside <textarea> the browser decodes entities and stops only at </textarea>.
        page = PAGE.format(title=html.escape(title), markdown=html.escape(markdown, quote=False))
        (out / f"{deck}.html").write_text(page, encoding="utf-8")
        pages.append(out / f"{deck}.html")
    items = "\n".join(
        f'<li><a href="{deck}.html">{html.escape(title)}</a></li>' for deck, title in DECKS.items()
    )
    (out / "index.html").write_text(INDEX.format(items=items), encoding="utf-8")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "build")
    parser.add_argument("--bench", type=Path, default=BENCH, help="benchmark results (JSON)")
    args = parser.parse_args(argv)
    for page in build(args.out, args.bench):
        print(f"{page}  (file://{page.resolve()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
