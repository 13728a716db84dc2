"""The decks' architecture diagrams, drawn as SVG from code (no copied images, no new tools).

    .venv/bin/python slides/diagrams.py OUT_DIR   # writes car-api.svg and smartcat.svg

What the diagrams say about the deployment (runtime, architecture, memory, routes, throttling, IAM
actions, what each function's artifact ships) is read from serverless.yml with its parts included
(read_serverless_yml), so the picture changes when the deployment does. The SmartCat diagram's
object keys, upload limits and dead-letter receive count come from workshop_app's SmartCat code.
slides/build.py fills the decks' placeholders with the helpers here too (resolved, requirements).
"""

import json
import re
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop.serverless_config import read_serverless_yml  # noqa: E402 (needs ROOT on sys.path)

# A serverless variable with nothing inside it: ${param:x, 'default'}, ${env:X, 'default'}, ${self:a.b}
VARIABLE = re.compile(r"\$\{(param|env|self):([\w.-]+)(?:, '([^']*)')?\}")


def resolved(doc: dict, value):
    """`value` from serverless.yml with its variables filled, innermost first, as the default
    deployment has them: the deployment's default params, each `${env:...}`'s default (the
    decks describe the default deployment, whatever the environment of the build), `${self:...}`."""
    if not isinstance(value, str):
        return value
    params = (doc.get("params") or {}).get("default") or {}

    def one(match: re.Match) -> str:
        kind, name, default = match.groups()
        if kind == "param" and name in params:
            return str(params[name])
        if kind in ("param", "env") and default is not None:
            return default
        if kind == "self":
            found = doc
            for part in name.split("."):
                found = found[part]
            return str(found)
        return match.group(0)

    while (filled := VARIABLE.sub(one, value)) != value:
        value = filled
    return value


def requirements(doc: dict, function: str) -> list[str]:
    """What a function's artifact ships: its `requirements` (lambda-requirements.js installs them)
    and the model directories its package patterns add."""
    spec = doc["functions"][function]
    shipped = [resolved(doc, r) for r in spec.get("requirements", [])]
    models = sorted(
        {str(Path(p).parent) for p in spec.get("package", {}).get("patterns", []) if p.startswith("models/")}
    )
    return shipped + [f"{m}/" for m in models]


def mib(value: int) -> str:
    return f"{value / 2**20:g} MiB"


FONT = "font-family='Helvetica, Arial, sans-serif'"
# Colours of the AWS service families (stroke) with a light tint (fill).
COLOURS = {
    "client": ("#37474f", "#eceff1"),
    "apigw": ("#8c4fff", "#f1e9ff"),
    "lambda": ("#d45b07", "#fff1e6"),
    "dynamodb": ("#2e73b8", "#e8f1fb"),
    "s3": ("#3f8624", "#eef7e9"),
    "sqs": ("#c7157a", "#fde8f3"),
    "logic": ("#5f6b7a", "#ffffff"),
}


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    title: str
    lines: tuple[str, ...] = ()
    kind: str = "logic"

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def port(self, side: str) -> tuple[float, float]:
        """The middle of one side: "n", "s", "e" or "w"."""
        return {
            "n": (self.cx, self.y),
            "s": (self.cx, self.y + self.h),
            "e": (self.x + self.w, self.cy),
            "w": (self.x, self.cy),
        }[side]

    def svg(self) -> str:
        stroke, fill = COLOURS[self.kind]
        shape = (
            f"<rect x='{self.x}' y='{self.y}' width='{self.w}' height='{self.h}' rx='10' "
            f"fill='{fill}' stroke='{stroke}' stroke-width='2.5'/>"
        )
        if self.kind == "logic":  # a decision or a step inside a function: dashed
            shape = shape.replace("stroke-width='2.5'", "stroke-width='2' stroke-dasharray='6 4'")
        rows = len(self.lines) + 1
        top = self.cy - (rows - 1) * 11
        text = [
            f"<text x='{self.cx}' y='{top + 6}' text-anchor='middle' font-size='18' "
            f"font-weight='bold' fill='{stroke}'>{escape(self.title)}</text>"
        ]
        text += [
            f"<text x='{self.cx}' y='{top + 6 + 22 * (i + 1)}' text-anchor='middle' "
            f"font-size='14' fill='#263238'>{escape(line)}</text>"
            for i, line in enumerate(self.lines)
        ]
        return shape + "".join(text)


@dataclass
class Arrow:
    points: list[tuple[float, float]]
    label: str = ""
    dashed: bool = False
    label_at: float = 0.5  # where along the first..last segment the label sits
    label_dy: float = -8

    def svg(self) -> str:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.0f},{y:.0f}" for i, (x, y) in enumerate(self.points))
        dash = " stroke-dasharray='7 5'" if self.dashed else ""
        out = (
            f"<path d='{path}' fill='none' stroke='#37474f' stroke-width='2'{dash} marker-end='url(#head)'/>"
        )
        if self.label:
            (x0, y0), (x1, y1) = self.points[0], self.points[-1]
            if len(self.points) > 2:  # label the middle segment of an elbow
                (x0, y0), (x1, y1) = self.points[1], self.points[2]
            x = x0 + (x1 - x0) * self.label_at
            y = y0 + (y1 - y0) * self.label_at + self.label_dy
            for n, line in enumerate(self.label.split("\n")):
                out += (
                    f"<text x='{x:.0f}' y='{y + 16 * n:.0f}' text-anchor='middle' "
                    f"font-size='13' fill='#37474f' stroke='#ffffff' stroke-width='4' "
                    f"paint-order='stroke'>{escape(line)}</text>"
                )
        return out


@dataclass
class Group:
    """A labelled frame around boxes (an AWS account, a Lambda package)."""

    x: float
    y: float
    w: float
    h: float
    label: str

    def svg(self) -> str:
        return (
            f"<rect x='{self.x}' y='{self.y}' width='{self.w}' height='{self.h}' rx='14' "
            f"fill='none' stroke='#90a4ae' stroke-width='1.5' stroke-dasharray='3 4'/>"
            f"<text x='{self.x + 14}' y='{self.y + 22}' font-size='14' fill='#607d8b'>"
            f"{escape(self.label)}</text>"
        )


def render(width: int, height: int, title: str, parts: list) -> str:
    body = "".join(part.svg() for part in parts)
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{escape(title)}' {FONT}>"
        f"<title>{escape(title)}</title>"
        "<defs><marker id='head' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='8' "
        "markerHeight='8' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
        "fill='#37474f'/></marker></defs>"
        f"<rect width='{width}' height='{height}' fill='#ffffff'/>{body}</svg>\n"
    )


def _actions(statements: list[dict], service: str) -> list[str]:
    return [a.split(":", 1)[1] for s in statements for a in s["Action"] if a.startswith(service + ":")]


def _wrapped(words: list[str], width: int, sep: str = ", ") -> list[str]:
    """`words` joined by `sep` into lines of at most `width` characters (a word is never split)."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(sep) + len(word) <= width:
            lines[-1] += sep + word
        else:
            lines.append(word)
    return [line + sep.rstrip() if n < len(lines) else line for n, line in enumerate(lines, 1)]


def _ships(doc: dict, function: str, width: int = 26) -> tuple[str, ...]:
    """What a function's artifact ships (its `requirements`, the models its patterns add), as
    lines; versions left out."""
    names = [r.split("==")[0] for r in requirements(doc, function)]
    return tuple(_wrapped(["ships " + names[0], *names[1:]], width))


def _first_segments(doc: dict, function: str) -> list[str]:
    """The first path segment of each of a function's HTTP routes, in order (`/cars…` when there
    are deeper routes under it)."""
    paths = [e["http"]["path"] for e in doc["functions"][function].get("events") or [] if "http" in e]
    segments: dict[str, bool] = {}
    for path in paths:
        first = "/" + path.strip("/").split("/")[0] if path != "/" else "/"
        segments[first] = segments.get(first, False) or path.count("/") > 1
    return [f"{first}…" if deeper else first for first, deeper in segments.items()]


def car_api(serverless: dict | None = None) -> str:
    """Client → API Gateway → the api function (Flask via serverless-wsgi) → DynamoDB and the
    model's bucket; the jobs function beside it, towards SmartCat (the second deck)."""
    doc = serverless or read_serverless_yml()
    provider = doc["provider"]
    throttle = provider["apiGateway"]["usagePlan"]["throttle"]
    quota = provider["apiGateway"]["usagePlan"]["quota"]
    # The API function's role: the statements on the car API's table and model bucket
    role = doc["resources"]["Resources"]["ApiRole"]["Properties"]
    statements = [
        s
        for policy in role["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if any(name in json.dumps(s["Resource"]) for name in ("CarsTable", "ModelBucket"))
    ]
    arch = resolved(doc, provider["architecture"])

    def memory(name: str) -> str:
        return f"{doc['functions'][name].get('memorySize', provider['memorySize'])} MB"

    client = Box(20, 225, 170, 110, "Client", ("browser, curl,", "notebook"), "client")
    apigw = Box(
        260,
        60,
        240,
        440,
        "API Gateway (REST)",
        (
            *_wrapped(_first_segments(doc, "api"), 24, " "),
            "→ api",
            "",
            *_wrapped(_first_segments(doc, "jobs"), 24, " "),
            "→ jobs",
            "",
            "writes: x-api-key",
            f"usage plan: {throttle['rateLimit']} req/s,",
            f"burst {throttle['burstLimit']}, {quota['limit']:,}/{quota['period'].lower()}",
        ),
        "apigw",
    )
    api = Box(
        590,
        60,
        250,
        200,
        "Lambda: api",
        (
            f"{provider['runtime']}, {arch}, {memory('api')}",
            "serverless-wsgi → Flask",
            *_ships(doc, "api"),
            "model sha256-checked",
            "on first use",
        ),
        "lambda",
    )
    jobs = Box(
        590,
        320,
        250,
        180,
        "Lambda: jobs",
        (f"{provider['runtime']}, {arch}, {memory('jobs')}", "serverless-wsgi → Flask", *_ships(doc, "jobs")),
        "lambda",
    )
    table = Box(1040, 60, 210, 90, "DynamoDB", ("cars table", "on-demand (per request)"), "dynamodb")
    bucket = Box(1040, 170, 210, 90, "S3", ("model bucket, versioned", "cars/<model_id>/"), "s3")
    smartcat = Box(
        1040,
        345,
        210,
        130,
        "SmartCat",
        ("jobs table, documents", "bucket, split → page →", "aggregate (part 2)"),
        "logic",
    )
    parts = [
        Group(230, 20, 1030, 510, "AWS account · one CloudFormation stack (serverless.yml)"),
        client,
        apigw,
        api,
        jobs,
        table,
        bucket,
        smartcat,
        Arrow([client.port("e"), (apigw.x, client.cy)], "HTTPS\nJSON", label_dy=-26),
        Arrow([(apigw.x + apigw.w, api.cy), api.port("w")], "proxy\nevent", label_dy=-26),
        Arrow([(apigw.x + apigw.w, jobs.cy), jobs.port("w")], "proxy\nevent", label_dy=-26),
        Arrow(
            [(api.x + api.w, table.cy), table.port("w")],
            "\n".join(_wrapped(_actions(statements, "dynamodb"), 18)),
            label_dy=-8 - 16 * (len(_wrapped(_actions(statements, "dynamodb"), 18)) - 1) - 6,
        ),
        Arrow(
            [(api.x + api.w, bucket.cy), bucket.port("w")],
            "s3:" + ", ".join(_actions(statements, "s3")) + "\n(modelUri=s3://…)",
            dashed=True,
            label_dy=22,
        ),
        Arrow([(jobs.x + jobs.w, smartcat.cy), smartcat.port("w")], "uploads,\njob records", label_dy=-26),
    ]
    return render(
        1270, 600, "The car API: client, API Gateway, the api and jobs functions, DynamoDB and S3", parts
    )


def smartcat(serverless: dict | None = None) -> str:
    """The SmartCat pipeline: upload, split, per-page fan-out, classify, count, aggregate once.

    The object keys, the upload limits and the DLQ's receive count come from workshop_app's
    SmartCat code; what the page function ships (OCR from wheels) from serverless.yml."""
    from workshop_app.jobs import DIRECT_UPLOAD_LIMIT
    from workshop_app.settings import DEFAULTS
    from workshop_app.smartcat import job_files

    doc = serverless or read_serverless_yml()
    page_ships = [r.split("==")[0] for r in requirements(doc, "page") if not r.startswith("models/")]
    ocr = [name for name in page_ships if name.startswith(("tesserocr", "tessdata"))]
    job = "<id>"
    client = Box(20, 40, 170, 90, "Client", ("demo page, curl",), "client")
    api = Box(
        250,
        30,
        260,
        110,
        "API: /jobs",
        (f"POST ≤ {mib(DIRECT_UPLOAD_LIMIT)} → 202", "GET → 200 / 303", "DELETE → 204"),
        "apigw",
    )
    upload = Box(
        590,
        30,
        260,
        110,
        "S3",
        (job_files.upload_key(job), "or a presigned PUT", f"(≤ {mib(DEFAULTS['MAX_PDF_BYTES'])})"),
        "s3",
    )
    split_queue = Box(930, 30, 250, 110, "SQS: split", ("ObjectCreated", "notification"), "sqs")
    dlq = Box(
        1260,
        230,
        210,
        110,
        "SQS: DLQs",
        ("one per queue, after", f"{DEFAULTS['MAX_RECEIVE_COUNT']} receives"),
        "sqs",
    )
    split = Box(930, 230, 250, 110, "split (Lambda)", ("pages_total; one PDF", "per page in S3"), "lambda")
    pages = Box(590, 230, 260, 110, "SQS: pages", ('{"job_id", "page",', '"pages"}'), "sqs")
    classify = Box(
        250,
        215,
        260,
        140,
        "page (Lambda)",
        ("text layer, else OCR:", " + ".join(ocr), "(wheels, no layer)", "TF-IDF → linear model"),
        "lambda",
    )
    table = Box(
        250, 430, 260, 110, "DynamoDB: jobs", ("one transaction: page", "result + counter"), "dynamodb"
    )
    aggregate_queue = Box(
        590, 430, 260, 110, "SQS: aggregate", ('{"job_id"}, sent when', "the last page counts"), "sqs"
    )
    aggregate = Box(
        930, 430, 250, 110, "aggregate (Lambda)", ("pages → documents", "running → done, once"), "lambda"
    )
    output = Box(1260, 430, 210, 110, "S3", (job_files.output_key(job),), "s3")
    parts = [
        client,
        api,
        upload,
        split_queue,
        dlq,
        split,
        pages,
        classify,
        table,
        aggregate_queue,
        aggregate,
        output,
        Arrow([client.port("e"), api.port("w")], "PDF", label_dy=-10),
        Arrow([api.port("e"), upload.port("w")], "store", label_dy=-10),
        Arrow([upload.port("e"), split_queue.port("w")], "notify", label_dy=-10),
        Arrow([split_queue.port("s"), split.port("n")], "", label_dy=4),
        Arrow(
            [split_queue.port("e"), (dlq.cx, split_queue.cy), dlq.port("n")],
            "poison",
            dashed=True,
            label_at=0.5,
            label_dy=-10,
        ),
        Arrow([split.port("w"), pages.port("e")], "per page", label_dy=-10),
        Arrow([pages.port("w"), classify.port("e")], "batches", label_dy=-10),
        Arrow([classify.port("s"), table.port("n")], "label, confidence", label_dy=4),
        Arrow([table.port("e"), aggregate_queue.port("w")], "all\ncounted", label_dy=-26),
        Arrow([aggregate_queue.port("e"), aggregate.port("w")], "", label_dy=-10),
        Arrow([aggregate.port("e"), output.port("w")], "write", label_dy=-10),
    ]
    return render(
        1490,
        560,
        "The SmartCat pipeline: upload, split, fan-out per page, classify, count, aggregate once",
        parts,
    )


DIAGRAMS = {"car-api.svg": car_api, "smartcat.svg": smartcat}


def write_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in DIAGRAMS.items():
        (out / name).write_text(draw(), encoding="utf-8")
        written.append(out / name)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "slides/build/diagrams")):
        print(path)
