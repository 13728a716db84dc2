"""`make slides`: the reveal.js decks as static HTML that opens from disk or from any web server.

    .venv/bin/python slides/build.py [--out slides/build] [--bench bench/results.json]
                                     [--smartcat bench/smartcat.json]

Each deck (`slides/<deck>.md`) is embedded in its page, because a browser will not fetch
markdown from a file:// URL. Placeholders `{{ name }}` in the markdown are filled here (values()
lists them all): the car API's benchmark from bench/results.json (the table is
bench/lambda_variants.py's own), SmartCat's from bench/smartcat.json, the prices from
workshop/prices.py, the limits from workshop/deploy.py and workshop_app, and the deployment from
serverless.yml, so the decks quote what `make bench` measured and what is deployed. An unknown
placeholder fails the build. reveal.js and its plugins are copied from node_modules (pinned in
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
from diagrams import mib, requirements, resolved  # noqa: E402

from workshop.deploy import UNZIPPED_LIMIT, ZIPPED_LIMIT  # noqa: E402
from workshop.prices import PRICES, USD_PER_GB_SECOND  # noqa: E402
from workshop.serverless_config import read_serverless_yml  # noqa: E402
from workshop_app.jobs import DIRECT_UPLOAD_LIMIT  # noqa: E402
from workshop_app.settings import DEFAULTS as APP_SETTINGS  # noqa: E402

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
SMARTCAT = ROOT / "bench" / "smartcat.json"

# Lambda gives one full vCPU at 1,769 MB, a proportional share below (AWS's Lambda memory docs).
FULL_VCPU_MB = 1769
# The SmartCat deck's example of a customer's scanned PDF, in pages (an illustration, not data).
EXAMPLE_PAGES = 40
MONTH_S = 30 * 24 * 3600

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


def _bench_module():
    """bench/lambda_variants.py (a script, not a package): its table and its variants."""
    spec = importlib.util.spec_from_file_location("lambda_variants", ROOT / "bench" / "lambda_variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def http_routes(doc: dict) -> dict[str, dict]:
    """path -> {"methods", "private" (the methods that need a key), "function"}, in the order the
    functions list them."""
    routes: dict[str, dict] = {}
    for name, spec in doc["functions"].items():
        for event in spec.get("events") or []:
            http = event.get("http") if isinstance(event, dict) else None
            if not http:
                continue
            route = routes.setdefault(http["path"], {"methods": [], "private": [], "function": name})
            route["methods"].append(http["method"].upper())
            if http.get("private"):
                route["private"].append(http["method"].upper())
    return routes


def routes_table(doc: dict) -> str:
    lines = ["| resource | methods | needs a key | function |", "|---|---|---|---|"]
    for path, route in http_routes(doc).items():
        methods = " · ".join(route["methods"])
        key = (
            "no"
            if not route["private"]
            else "yes"
            if route["private"] == route["methods"]
            else ", ".join(route["private"])
        )
        lines.append(f"| `{path}` | {methods} | {key} | `{route['function']}` |")
    return "\n".join(lines)


def usd(value: float | str) -> str:
    """A price as AWS writes it: cents to two places, smaller ones with every digit."""
    if isinstance(value, str):
        return value
    return f"{value:.2f}" if value >= 0.01 else f"{value:.10f}".rstrip("0")


def percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def functions_table(results: dict, doc: dict) -> str:
    """Each function's artifact (`make bench` ran `sls package`): what it ships, its sizes against
    Lambda's limits, and its largest top-level entries."""
    lines = [
        "| function | ships | zipped | unzipped | of the unzipped limit | largest (unzipped) |",
        "|---|---|---:|---:|---:|---|",
    ]
    order = [name for name in doc["functions"] if name in results["functions"]]
    for name in order + sorted(set(results["functions"]) - set(order)):
        size = results["functions"][name]
        shipped = requirements(doc, name) if name in doc["functions"] else ["?"]
        ships = ", ".join(r.split("==")[0] for r in shipped)  # the pins: requirements/lambda.txt
        largest = ", ".join(f"{top} {mb(n)}" for top, n in list(size["largest"].items())[:2])
        lines.append(
            f"| `{name}` | {ships} | {mb(size['zip_bytes'])} | {mb(size['unzipped_bytes'])} | "
            f"{percent(size['unzipped_bytes'] / UNZIPPED_LIMIT)} | {largest} |"
        )
    return "\n".join(lines)


def import_times_table(results: dict, top: int = 6) -> str:
    lines = ["| module | self ms | cumulative ms |", "|---|---:|---:|"]
    for row in results["import_times_ms"][:top]:
        lines.append(f"| `{row['module']}` | {row['self_ms']:.1f} | {row['cumulative_ms']:.1f} |")
    return "\n".join(lines)


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


def ocr_table(smartcat: dict) -> str:
    """bench/smartcat.json's OCR variants, measured on the same scanned held-out pages."""
    ocr = smartcat["ocr"]
    lines = [
        "| OCR | engine · model | s/page (median) | CPU s/page | macro-F1 | accuracy |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, v in ocr["variants"].items():
        if not v.get("available"):
            lines.append(f"| {name} | not available on the machine that measured | | | | |")
            continue
        tag = " (deployed)" if name == ocr["default"] else ""
        lines.append(
            f"| {name}{tag} | {v['engine']} · {v['model']} | {v['seconds_per_page_median']:.2f} | "
            f"{v['cpu_seconds_per_page_median']:.2f} | {v['macro_f1']:.3f} | {v['accuracy']:.3f} |"
        )
    return "\n".join(lines)


def scan_cost_table(smartcat: dict, doc: dict, max_pages: int) -> str:
    """The page function's bill for a scanned document: every page OCR'd at the measured median
    seconds per page (on one core: the page function has one full vCPU at 1,769 MB), the pages
    in SQS batches of the function's batch size, each invocation billed its requests fee."""
    ocr = smartcat["ocr"]
    seconds = ocr["variants"][ocr["default"]]["seconds_per_page_median"]
    page = doc["functions"]["page"]
    gb = page["memorySize"] / 1024
    batch = page["events"][0]["sqs"]["batchSize"]
    lines = [
        "| scanned document | OCR time | GB-seconds | x86_64 per 1,000 documents | arm64 per 1,000 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, pages in (
        ("one page", 1),
        (f"{EXAMPLE_PAGES} pages", EXAMPLE_PAGES),
        (f"{max_pages} pages (the most a job takes)", max_pages),
    ):
        invocations = math.ceil(pages / batch)
        billed_s = math.ceil(1000 * pages * seconds / invocations) * invocations / 1000
        cells = []
        for arch in ("x86_64", "arm64"):
            usd = billed_s * gb * USD_PER_GB_SECOND[arch]
            usd += invocations * PRICES["lambda_usd_per_million_requests"] / 1e6
            cells.append(f"${1000 * usd:,.2f}" if usd >= 0.001 else f"${1000 * usd:.3f}")
        lines.append(f"| {label} | {pages * seconds:.1f} s | {billed_s * gb:.1f} | {' | '.join(cells)} |")
    return "\n".join(lines)


def smartcat_values(smartcat: dict, doc: dict) -> dict[str, str]:
    """The SmartCat deck's numbers: bench/smartcat.json, the jobs API's limits, the page function."""
    ocr, page = smartcat["ocr"], smartcat["page_function"]
    function = doc["functions"]["page"]
    max_pages = APP_SETTINGS["MAX_PAGES"]
    default = ocr["variants"][ocr["default"]]
    out = {
        "smartcat.ocr_table": ocr_table(smartcat),
        "smartcat.scan_cost_table": scan_cost_table(smartcat, doc, max_pages),
        "smartcat.digital_pages_per_second_per_core": f"{smartcat['digital_pages_per_second_per_core']:,.0f}",
        "smartcat.classifier_file_bytes": mb(smartcat["classifier_file_bytes"]),
        "smartcat.classifier_cold_load_s": f"{smartcat['classifier_cold_load_seconds_median']:.2f} s",
        "smartcat.ocr.dpi": str(ocr["dpi"]),
        "smartcat.ocr.pages": str(ocr["pages"]),
        "smartcat.ocr.default": ocr["default"],
        "smartcat.ocr.omp_thread_limit": str(ocr["omp_thread_limit"]),
        "smartcat.page.zip_bytes": mb(page["zip_bytes"]),
        "smartcat.page.unzipped_bytes": mb(page["unzipped_bytes"]),
        "smartcat.page.unzipped_share": percent(page["unzipped_bytes"] / UNZIPPED_LIMIT),
        "smartcat.page.zip_share": percent(page["zip_bytes"] / ZIPPED_LIMIT),
        "smartcat.page.cold_start_s": f"{page['cold_start_s']:.2f} s",
        "smartcat.page.import_s": f"{page['import_s']:.3f} s",
        "smartcat.page.first_page_s": f"{page['first_page_s']:.2f} s",
        "smartcat.page.peak_rss_mb": f"{page['peak_rss_mb']:.0f} MB",
        "smartcat.page.memory_mb": f"{function['memorySize']:,}",
        "smartcat.page.timeout_s": str(function["timeout"]),
        "smartcat.page.batch_size": str(function["events"][0]["sqs"]["batchSize"]),
        "smartcat.page.requirements": ", ".join(requirements(doc, "page")),
        "smartcat.example_pages": str(EXAMPLE_PAGES),
        "smartcat.example_ocr_s": f"{EXAMPLE_PAGES * default['seconds_per_page_median']:.0f} s",
        "smartcat.max_pages": str(max_pages),
        "smartcat.max_pages_ocr_s": f"{max_pages * default['seconds_per_page_median']:.0f} s",
        "smartcat.direct_upload_limit": mib(DIRECT_UPLOAD_LIMIT),
        "smartcat.direct_upload_limit_bytes": f"{DIRECT_UPLOAD_LIMIT:,}",
        "smartcat.max_pdf_bytes": mib(APP_SETTINGS["MAX_PDF_BYTES"]),
        "smartcat.max_pdf_bytes_raw": str(APP_SETTINGS["MAX_PDF_BYTES"]),
        "smartcat.upload_url_minutes": f"{APP_SETTINGS['UPLOAD_URL_SECONDS'] // 60}",
        "smartcat.max_receive_count": str(resolved(doc, doc["custom"]["smartcat"]["maxReceiveCount"])),
    }
    for top, size in page["largest"].items():
        out[f"smartcat.page.largest.{top}"] = mb(size)
    for name, metric in smartcat["digital_ms_per_page"].items():
        out[f"smartcat.digital_ms_per_page.{name}"] = f"{metric:.2f} ms"
    for name, variant in [*ocr["variants"].items(), ("default", default)]:
        if not variant.get("available"):
            continue
        out[f"smartcat.ocr.{name}.seconds_per_page_median"] = f"{variant['seconds_per_page_median']:.2f} s"
        out[f"smartcat.ocr.{name}.cpu_seconds_per_page_median"] = (
            f"{variant['cpu_seconds_per_page_median']:.2f} s"
        )
        out[f"smartcat.ocr.{name}.macro_f1"] = f"{variant['macro_f1']:.3f}"
        out[f"smartcat.ocr.{name}.accuracy"] = f"{variant['accuracy']:.3f}"
        out[f"smartcat.ocr.{name}.model"] = variant["model"]
        out[f"smartcat.ocr.{name}.engine"] = variant["engine"]
        out[f"smartcat.ocr.{name}.traineddata_bytes"] = mb(variant["traineddata_bytes"])
    return out


def values(results: dict, smartcat: dict | None = None) -> dict[str, str]:
    """Every placeholder the decks may use, as text."""
    bench = _bench_module()
    doc = read_serverless_yml()
    provider = doc["provider"]
    memory = int(provider["memorySize"])
    usage_plan = provider["apiGateway"]["usagePlan"]
    gb = memory / 1024
    out = {
        "bench_table": bench.table(results),
        "bench_variants": "\n".join(f"- `{name}`: {v['about']}" for name, v in results["variants"].items()),
        "cost_table": cost_table(results, memory),
        "functions_table": functions_table(results, doc),
        "import_times_table": import_times_table(results),
        "routes_table": routes_table(doc),
        "memory_mb": f"{memory:,}",
        "full_vcpu_mb": f"{FULL_VCPU_MB:,}",
        "runtime": provider["runtime"],
        "architecture": resolved(doc, provider["architecture"]),
        "timeout_s": str(provider["timeout"]),
        "log_format": provider["logs"]["lambda"]["logFormat"],
        "metrics": provider["environment"]["METRICS"],
        "botocore_data": ", ".join(doc["custom"]["lambdaRequirements"]["botocoreData"]),
        "functions": ", ".join(f"`{name}`" for name in doc["functions"]),
        "function_count": str(len(doc["functions"])),
        "throttle_rate": str(usage_plan["throttle"]["rateLimit"]),
        "throttle_burst": str(usage_plan["throttle"]["burstLimit"]),
        "quota": f"{usage_plan['quota']['limit']:,}",
        "limit_zipped_bytes": f"{ZIPPED_LIMIT:,}",
        "limit_unzipped_bytes": f"{UNZIPPED_LIMIT:,}",
    }
    for name in doc["functions"]:
        out[f"requirements.{name}"] = ", ".join(requirements(doc, name))
    policies = doc["resources"]["Resources"]["ApiRole"]["Properties"]["Policies"]
    on_cars = [
        action
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        if "CarsTable" in json.dumps(statement["Resource"])
        for action in statement["Action"]
    ]
    service = on_cars[0].split(":")[0]
    out["iam.api.cars"] = f"{service}:" + "/".join(a.split(":", 1)[1] for a in on_cars)
    out |= {f"price.{key}": usd(value) for key, value in PRICES.items()}
    arm = 1 - USD_PER_GB_SECOND["arm64"] / USD_PER_GB_SECOND["x86_64"]
    out["price.arm64_saving"] = percent(arm)
    out["snapstart.restore_usd"] = f"${gb * PRICES['snapstart_restore_usd_per_gb']:.6f}"
    out["snapstart.cache_usd_month"] = f"${gb * MONTH_S * PRICES['snapstart_cache_usd_per_gb_second']:.2f}"
    formats = {
        "about": str,
        "zip_bytes": mb,
        "unzipped_bytes": mb,
        "cold_start_s": lambda v: f"{v:.2f} s",
        "process_s": lambda v: f"{v:.2f} s",
        "warm_p50_ms": lambda v: f"{v:.2f} ms",
        "warm_p99_ms": lambda v: f"{v:.2f} ms",
        "peak_rss_mb": lambda v: f"{v:.0f} MB",
    }
    for role in ("baseline", "default", "floor", "measured_on", "machine"):
        out[f"bench.{role}"] = results[role]
    for name, variant in results["variants"].items():
        for metric, value in variant.items():
            out[f"bench.{name}.{metric}"] = formats.get(metric, str)(value)
    for name, ratio in results["ratios"].items():
        out[f"bench.ratio.{name}"] = f"{ratio:.2f}×"
    for name, size in results["functions"].items():
        out[f"bench.function.{name}.zip_bytes"] = mb(size["zip_bytes"])
        out[f"bench.function.{name}.unzipped_bytes"] = mb(size["unzipped_bytes"])
    base, default = (results["variants"][results[r]] for r in ("baseline", "default"))
    out["bench.cold_speedup"] = f"{base['cold_start_s'] / default['cold_start_s']:.0f}×"
    out["bench.zip_ratio"] = f"{base['zip_bytes'] / default['zip_bytes']:.0f}×"
    # A cold start is CPU-bound: measured on a whole core, it takes 1,769 / memory as long below.
    at_memory = default["cold_start_s"] * max(1.0, FULL_VCPU_MB / memory)
    out["bench.default_cold_at_memory"] = f"{at_memory:.2f} s"
    if smartcat is not None:
        out |= smartcat_values(smartcat, doc)
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


def read_results(path: Path, needs: tuple[str, ...]) -> dict:
    results = json.loads(path.read_text())
    missing = [key for key in needs if key not in results]
    if missing:
        raise SystemExit(
            f"{path} has no {', '.join(missing)}: it is from an older `make bench`; run it again"
        )
    return results


def build(out: Path, bench: Path = BENCH, smartcat: Path = SMARTCAT) -> list[Path]:
    """Write the decks, reveal.js and the diagrams into `out`; return the decks' pages."""
    if not REVEAL.is_dir():
        raise SystemExit(f"{REVEAL} is missing: run `npm ci` (make slides does)")
    results = read_results(bench, ("variants", "ratios", "functions", "import_times_ms", "floor"))
    known = values(results, read_results(smartcat, ("ocr", "page_function", "digital_ms_per_page")))
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
    parser.add_argument("--bench", type=Path, default=BENCH, help="the car API's benchmark (JSON)")
    parser.add_argument("--smartcat", type=Path, default=SMARTCAT, help="SmartCat's benchmark (JSON)")
    args = parser.parse_args(argv)
    for page in build(args.out, args.bench, args.smartcat):
        print(f"{page}  (file://{page.resolve()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
