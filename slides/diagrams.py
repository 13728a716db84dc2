"""The decks' architecture diagrams, drawn as SVG from code (no copied images, no new tools).

    .venv/bin/python slides/diagrams.py OUT_DIR   # writes car-api.svg and smartcat.svg

What the car API diagram says about the deployment (runtime, memory, throttling, IAM actions) is
read from serverless.yml, so the picture changes when the deployment does. The SmartCat diagram's
object keys and dead-letter receive count come from workshop_app's SmartCat code.
"""

import json
import sys
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop.serverless_config import read_serverless_yml  # noqa: E402 (needs ROOT on sys.path)

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


def _actions(statements: list[dict], service: str) -> str:
    names = [a.split(":", 1)[1] for s in statements for a in s["Action"] if a.startswith(service + ":")]
    return ", ".join(names)


def car_api(serverless: dict | None = None) -> str:
    """Client → API Gateway → Lambda (Flask via serverless-wsgi) → DynamoDB; the model's homes."""
    doc = serverless or read_serverless_yml()
    provider = doc["provider"]
    throttle = provider["apiGateway"]["usagePlan"]["throttle"]
    quota = provider["apiGateway"]["usagePlan"]["quota"]
    # The API function's role, the statements on the car API's table and model bucket
    role = doc["resources"]["Resources"]["ApiRole"]["Properties"]
    statements = [
        s
        for policy in role["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if any(name in json.dumps(s["Resource"]) for name in ("CarsTable", "ModelBucket"))
    ]
    client = Box(20, 170, 170, 110, "Client", ("browser, curl,", "notebook"), "client")
    apigw = Box(
        280,
        150,
        250,
        150,
        "API Gateway (REST)",
        (
            "/cars, /cars/{carid}, /predict",
            "writes: x-api-key",
            f"usage plan: {throttle['rateLimit']} req/s,",
            f"burst {throttle['burstLimit']}, {quota['limit']:,}/{quota['period'].lower()}",
        ),
        "apigw",
    )
    function = Box(
        620,
        130,
        260,
        190,
        "Lambda",
        (
            f"{provider['runtime']}, {provider['memorySize']} MB",
            "serverless-wsgi handler",
            "→ Flask app (workshop_app)",
            "model.json in the package",
            "sha256 checked at load",
        ),
        "lambda",
    )
    table = Box(990, 60, 230, 110, "DynamoDB", ("cars table", "on-demand (per request)"), "dynamodb")
    bucket = Box(990, 290, 230, 110, "S3", ("model bucket, versioned", "cars/<model_id>/"), "s3")
    parts = [
        Group(250, 20, 1000, 420, "AWS account · one CloudFormation stack (serverless.yml)"),
        client,
        apigw,
        function,
        table,
        bucket,
        Arrow([client.port("e"), apigw.port("w")], "HTTPS\nJSON", label_dy=-26),
        Arrow([apigw.port("e"), function.port("w")], "proxy\nevent", label_dy=-26),
        Arrow(
            [function.port("n"), (function.cx, table.cy), table.port("w")],
            _actions(statements, "dynamodb"),
            label_at=0.55,
            label_dy=-10,
        ),
        Arrow(
            [function.port("s"), (function.cx, bucket.cy), bucket.port("w")],
            "s3:" + _actions(statements, "s3") + " (modelUri=s3://…)",
            dashed=True,
            label_at=0.55,
            label_dy=24,
        ),
    ]
    return render(1270, 460, "The car API: client, API Gateway, Lambda, DynamoDB and S3", parts)


def smartcat() -> str:
    """The SmartCat pipeline: upload, split, per-page fan-out, classify, count, aggregate once.

    The object keys and the DLQ's receive count come from workshop_app's SmartCat code."""
    from workshop_app.settings import DEFAULTS
    from workshop_app.smartcat import job_files

    job = "<id>"
    client = Box(20, 40, 170, 90, "Client", ("demo page, curl",), "client")
    api = Box(
        250, 30, 260, 110, "API: /jobs", ("POST → 202 + Location", "GET → 200 / 303", "DELETE → 204"), "apigw"
    )
    upload = Box(590, 30, 260, 110, "S3", (job_files.upload_key(job), "(presigned PUT if big)"), "s3")
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
        220,
        260,
        130,
        "classify page (Lambda)",
        ("text layer, else OCR", "(tesseract deu)", "TF-IDF → linear model"),
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
