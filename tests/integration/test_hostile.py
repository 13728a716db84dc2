"""A catalogue of hostile requests to the car API, sent over a real socket to the app served by
Werkzeug's threaded server (what `make serve` runs): each gets a clear 4xx and the server keeps
serving. The app's own answers are JSON `{"error", "message"}` that name the problem and match
the OpenAPI document; a few malformed-HTTP cases are answered by the HTTP server before the app
sees them (status checked, body is the server's own).

tests/integration/test_validation.py checks the validation rules one field at a time through the test
client; this file is about what arrives over the wire. The PDF cases are in the SmartCat tests.
"""

import base64
import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote

import pytest
from helpers.openapi import check_response
from werkzeug.serving import make_server

from workshop.local_aws import create_tables
from workshop_app import create_app
from workshop_app.car_schema import example_car

CAR = json.dumps(example_car()).encode()
JSON = {"Content-Type": "application/json"}
MAX_BODY = 512 * 1024  # settings.MAX_CONTENT_LENGTH
API_GATEWAY_MAX = 6 * 1024 * 1024  # API Gateway's payload limit (10 MB REST, 6 MB Lambda)


@dataclass
class Answer:
    """A raw HTTP response, with what openapi_check.check_response reads."""

    status_code: int
    headers: dict[str, str]
    data: bytes

    @property
    def mimetype(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()

    def get_json(self):
        return json.loads(self.data)


def exchange(port: int, raw: bytes, timeout: float = 30) -> Answer:
    """Send `raw` bytes as they are, half-close, read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything: read the answer
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data.startswith(b"HTTP/"):  # http.server answers a request line it cannot parse
        return Answer(0, {}, data)  # the HTTP/0.9 way: the error page, no status line
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return Answer(int(status_line.split()[1]), headers, body)


def http(method: str, target: str, body: bytes | None = None, headers: dict | None = None) -> bytes:
    """A request as bytes; Content-Length is the body's unless `headers` says otherwise."""
    headers = {"Host": "127.0.0.1", "Connection": "close", **(headers or {})}
    if body is not None and not {"Content-Length", "Transfer-Encoding"} & set(headers):
        headers["Content-Length"] = str(len(body))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + (body or b"")


def chunked(body: bytes, size: int = 65536) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def car_with(**changes) -> bytes:
    return json.dumps({**example_car(), **changes}).encode()


def token_for(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class Hostile:
    id: str
    method: str
    target: str  # "{carid}" is replaced by an existing car's id
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    status: int = 400
    error: str | None = None  # the app's error code; None: the HTTP server answers by itself
    says: str = ""  # the message names the problem with these words
    raw: bytes | None = None  # send exactly this instead (malformed HTTP)


HEX = "0123456789abcdef" * 2
CATALOGUE = [
    # --- bodies that are not the JSON they claim to be
    Hostile(
        "truncated JSON",
        "POST",
        "/cars",
        b'{"cylinders": 4,',
        JSON,
        error="invalid_json",
        says="not valid JSON",
    ),
    Hostile(
        "100,000 nested arrays (RecursionError)",
        "POST",
        "/cars",
        b"[" * 100_000 + b"]" * 100_000,
        JSON,
        error="invalid_json",
        says="nested too deeply",
    ),
    Hostile(
        "50,000 nested objects",
        "POST",
        "/predict",
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        JSON,
        error="invalid_json",
        says="nested too deeply",
    ),
    Hostile(
        "1e400 overflows to infinity",
        "POST",
        "/cars",
        CAR.replace(b"2130.0", b"1e400"),
        JSON,
        status=422,
        error="validation_error",
        says="finite",
    ),
    Hostile(
        "10**5000 as an integer literal (over Python's 4300-digit limit)",
        "POST",
        "/cars",
        CAR.replace(b"1971", b"1" + b"0" * 5000),
        JSON,
        error="invalid_json",
        says="5001 digits is too large",
    ),
    Hostile("NaN", "POST", "/cars", CAR.replace(b"2130.0", b"NaN"), JSON, error="invalid_json", says="NaN"),
    Hostile(
        "Infinity",
        "PUT",
        "/cars/{carid}",
        CAR.replace(b"2130.0", b"Infinity"),
        JSON,
        error="invalid_json",
        says="Infinity",
    ),
    Hostile(
        "-Infinity",
        "POST",
        "/predict",
        CAR.replace(b"2130.0", b"-Infinity"),
        JSON,
        error="invalid_json",
        says="Infinity",
    ),
    Hostile(
        "duplicate keys (which one wins differs between parsers)",
        "POST",
        "/cars",
        CAR[:-1] + b', "weight": 10}',
        JSON,
        error="invalid_json",
        says="'weight' appears twice",
    ),
    Hostile(
        "lone surrogate escape in a string (no UTF-8 for it)",
        "POST",
        "/cars",
        car_with(name="\ud800"),
        JSON,
        status=422,
        error="validation_error",
        says="lone surrogate",
    ),
    Hostile(
        "UTF-16 body with a charset saying so",
        "POST",
        "/cars",
        CAR.decode().encode("utf-16"),
        {"Content-Type": "application/json; charset=utf-16"},
        error="invalid_json",
        says="not UTF-8",
    ),
    Hostile(
        "Latin-1 bytes declared as charset=latin-1",
        "POST",
        "/cars",
        json.dumps({**example_car(), "name": "Citroën"}, ensure_ascii=False).encode("latin-1"),
        {"Content-Type": "application/json; charset=latin-1"},
        error="invalid_json",
        says="not UTF-8",
    ),
    Hostile(
        "JSON null", "POST", "/cars", b"null", JSON, status=422, error="validation_error", says="JSON object"
    ),
    Hostile("empty body", "POST", "/cars", b"", JSON, error="invalid_json", says="empty"),
    # --- sizes and framing
    Hostile(
        "body over MAX_CONTENT_LENGTH (512 KiB)",
        "POST",
        "/cars",
        car_with(name="x" * (MAX_BODY + 1)),
        JSON,
        status=413,
        error="request_entity_too_large",
        says="524,288 bytes",
    ),
    Hostile(
        "body over API Gateway's 6 MB",
        "POST",
        "/predict",
        car_with(name="x" * (API_GATEWAY_MAX + 1)),
        JSON,
        status=413,
        error="request_entity_too_large",
        says="524,288 bytes",
    ),
    Hostile(
        "chunked body over 512 KiB, no Content-Length",
        "PUT",
        "/cars/{carid}",
        chunked(car_with(name="x" * (MAX_BODY + 1))),
        {**JSON, "Transfer-Encoding": "chunked"},
        status=413,
        error="request_entity_too_large",
        says="524,288 bytes",
    ),
    Hostile(
        "Content-Length longer than the body",
        "POST",
        "/cars",
        CAR,
        {**JSON, "Content-Length": str(len(CAR) + 100)},
        error="bad_request",
        says="ended before",
    ),
    Hostile(
        "Content-Length shorter than the body",
        "POST",
        "/cars",
        CAR,
        {**JSON, "Content-Length": "5"},
        error="invalid_json",
        says="not valid JSON",
    ),
    Hostile(
        "Content-Length not a number",
        "POST",
        "/cars",
        CAR,
        {**JSON, "Content-Length": "abc"},
        error="invalid_content_length",
        says="Content-Length header",
    ),
    Hostile(
        "negative Content-Length",
        "PUT",
        "/cars/{carid}",
        CAR,
        {**JSON, "Content-Length": "-1"},
        error="invalid_content_length",
        says="Content-Length header",
    ),
    # --- content types
    Hostile(
        "text/plain",
        "POST",
        "/cars",
        CAR,
        {"Content-Type": "text/plain"},
        status=415,
        error="unsupported_media_type",
        says="application/json",
    ),
    Hostile(
        "form-encoded",
        "POST",
        "/cars",
        b"cylinders=4&weight=2130",
        {"Content-Type": "application/x-www-form-urlencoded"},
        status=415,
        error="unsupported_media_type",
        says="application/json",
    ),
    Hostile(
        "multipart",
        "POST",
        "/predict",
        b'--b\r\nContent-Disposition: form-data; name="car"\r\n\r\n' + CAR + b"\r\n--b--\r\n",
        {"Content-Type": "multipart/form-data; boundary=b"},
        status=415,
        error="unsupported_media_type",
        says="multipart/form-data",
    ),
    Hostile("no Content-Type", "POST", "/cars", CAR, status=415, error="unsupported_media_type", says="none"),
    Hostile(
        "JSON look-alike type application/jsonx",
        "PUT",
        "/cars/{carid}",
        CAR,
        {"Content-Type": "application/jsonx"},
        status=415,
        error="unsupported_media_type",
        says="application/jsonx",
    ),
    # --- path tricks in ids
    Hostile(
        "../ traversal, encoded",
        "GET",
        "/cars/..%2f..%2fetc%2fpasswd",
        status=404,
        error="not_found",
        says="not found",
    ),
    Hostile("NUL byte", "GET", "/cars/%00", error="invalid_id", says="32 lowercase hexadecimal"),
    Hostile(
        "id with a trailing newline",
        "GET",
        f"/cars/{HEX}%0A",
        error="invalid_id",
        says="32 lowercase hexadecimal",
    ),
    Hostile(
        "unicode, percent-encoded",
        "GET",
        "/cars/%C3%BCn%C3%AFc%C3%B6d%C3%A9",
        error="invalid_id",
        says="32 lowercase hexadecimal",
    ),
    Hostile(
        "unicode, raw UTF-8 in the request line",
        "DELETE",
        "/cars/" + "ünïcödé".encode().decode("latin-1"),
        error="invalid_id",
        says="32 lowercase hexadecimal",
    ),
    Hostile(
        "10,000-character id",
        "GET",
        "/cars/" + "a" * 10_000,
        error="invalid_id",
        says="32 lowercase hexadecimal",
    ),
    Hostile(
        "SQL injection",
        "DELETE",
        "/cars/'%20OR%20'1'='1';--",
        error="invalid_id",
        says="32 lowercase hexadecimal",
    ),
    Hostile(
        "spaces", "PUT", "/cars/%20%20%20", CAR, JSON, error="invalid_id", says="32 lowercase hexadecimal"
    ),
    Hostile(
        "upper-case hex", "GET", f"/cars/{HEX.upper()}", error="invalid_id", says="32 lowercase hexadecimal"
    ),
    Hostile(
        "CR LF in the id (response splitting)",
        "GET",
        "/cars/%0d%0aX-Injected:%201",
        error="invalid_id",
        says="32 lowercase hexadecimal",
    ),
    # --- methods
    Hostile(
        "PATCH on a car",
        "PATCH",
        "/cars/{carid}",
        b"{}",
        JSON,
        status=405,
        error="method_not_allowed",
        says="PATCH is not allowed",
    ),
    Hostile(
        "DELETE on the collection",
        "DELETE",
        "/cars",
        status=405,
        error="method_not_allowed",
        says="DELETE is not allowed",
    ),
    Hostile(
        "GET on /predict",
        "GET",
        "/predict",
        status=405,
        error="method_not_allowed",
        says="GET is not allowed",
    ),
    Hostile("TRACE", "TRACE", "/", status=405, error="method_not_allowed", says="TRACE is not allowed"),
    Hostile(
        "made-up method", "BREW", "/cars", status=405, error="method_not_allowed", says="BREW is not allowed"
    ),
    # --- query strings on the list
    Hostile("negative limit", "GET", "/cars?limit=-1", error="invalid_limit", says="1 to 100"),
    Hostile("limit 0", "GET", "/cars?limit=0", error="invalid_limit", says="1 to 100"),
    Hostile("limit over the maximum", "GET", "/cars?limit=101", error="invalid_limit", says="1 to 100"),
    Hostile(
        "5000-digit limit (int() refuses it)",
        "GET",
        "/cars?limit=" + "9" * 5000,
        error="invalid_limit",
        says="1 to 100",
    ),
    Hostile(
        "superscript two as limit (isdigit() but not int())",
        "GET",
        "/cars?limit=%C2%B2",
        error="invalid_limit",
        says="1 to 100",
    ),
    Hostile("fractional limit", "GET", "/cars?limit=1.5", error="invalid_limit", says="1 to 100"),
    Hostile("empty limit", "GET", "/cars?limit=", error="invalid_limit", says="1 to 100"),
    Hostile(
        "repeated limit", "GET", "/cars?limit=1&limit=100", error="invalid_query", says="limit at most once"
    ),
    Hostile(
        "repeated next_token",
        "GET",
        "/cars?next_token=a&next_token=b",
        error="invalid_query",
        says="next_token at most once",
    ),
    Hostile(
        "next_token not base64",
        "GET",
        "/cars?next_token=%25%25%25",
        error="invalid_page_token",
        says="not a token this API issued",
    ),
    Hostile(
        "next_token: forged key",
        "GET",
        "/cars?next_token=" + token_for(b'{"carid": "x", "admin": true}'),
        error="invalid_page_token",
        says="not a token this API issued",
    ),
    Hostile(
        "next_token: 5000 nested arrays (RecursionError)",
        "GET",
        "/cars?next_token=" + token_for(b"[" * 5000 + b"]" * 5000),
        error="invalid_page_token",
        says="not a token this API issued",
    ),
    Hostile(
        "next_token: non-ASCII",
        "GET",
        "/cars?next_token=%C3%BC",
        error="invalid_page_token",
        says="not a token this API issued",
    ),
    # --- malformed HTTP: Werkzeug's server (http.server) answers before the app
    Hostile("header value of 70 KB", "GET", "/health", headers={"X-Big": "a" * 70_000}, status=431),
    Hostile("150 headers", "GET", "/health", headers={f"X-H{i}": "a" for i in range(150)}, status=431),
    Hostile("URL of 70 KB", "GET", "/cars?x=" + "a" * 70_000, status=414),
    Hostile(
        "TLS handshake sent to the HTTP port",
        "",
        "",
        raw=b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32 + b"\r\n\r\n",
    ),
    Hostile("HTTP/2.0 request line", "", "", raw=b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", status=505),
]


@pytest.fixture(scope="module")
def served(aws_env, model_dir):
    """The app on a free port, served by Werkzeug's threaded server, with its own table."""
    table = f"hostile-{uuid.uuid4().hex[:8]}"
    create_tables({"CARS_TABLE": table}, aws_env)
    server = make_server(
        "127.0.0.1",
        0,
        create_app({"FEATURES": "cars", "CARS_TABLE": table, "MODEL_URI": str(model_dir)}),
        threaded=True,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()
    import boto3

    boto3.client("dynamodb").delete_table(TableName=table)


@pytest.fixture(scope="module")
def carid(served):
    answer = exchange(served, http("POST", "/cars", CAR, JSON))
    assert answer.status_code == 201
    return answer.get_json()["carid"]


@pytest.fixture(autouse=True)
def still_serving(served, carid):
    """After whatever a test sent, the server answers a plain request and the car is intact."""
    yield
    assert exchange(served, http("GET", "/health")).status_code == 200
    answer = exchange(served, http("GET", f"/cars/{carid}"))
    assert answer.status_code == 200
    assert {k: answer.get_json()[k] for k in example_car()} == example_car()


def test_the_catalogue_is_long_enough():
    assert len(CATALOGUE) >= 30
    assert len({case.id for case in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.id for case in CATALOGUE])
def test_hostile_request_gets_a_clear_4xx(served, carid, case):
    target = case.target.replace("{carid}", carid)
    answer = exchange(served, case.raw or http(case.method, target, case.body, case.headers))
    if case.error is None:  # answered by the HTTP server, not the app
        assert answer.status_code == case.status or (
            answer.status_code == 0 and f"Error code: {case.status}".encode() in answer.data
        )
        return
    assert answer.status_code == case.status, answer.data[:300]
    error = answer.get_json()
    assert error["error"] == case.error
    assert case.says in error["message"]
    assert len(error["message"]) < 300  # says what is wrong without echoing the input back
    assert "x-injected" not in answer.headers
    check_response(case.method, unquote(target.partition("?")[0]), answer)


def test_405_lists_the_allowed_methods(served, carid):
    answer = exchange(served, http("PATCH", f"/cars/{carid}", b"{}", JSON))
    assert set(answer.headers["allow"].split(", ")) >= {"GET", "PUT", "DELETE"}


def test_utf8_byte_order_mark_is_ignored(served):
    """RFC 8259 lets a parser ignore a BOM; only UTF-8 is accepted (see the UTF-16 case)."""
    answer = exchange(served, http("POST", "/cars", b"\xef\xbb\xbf" + CAR, JSON))
    assert answer.status_code == 201


def test_chunked_body_without_content_length_is_read(served):
    answer = exchange(
        served, http("POST", "/predict", chunked(CAR, size=7), {**JSON, "Transfer-Encoding": "chunked"})
    )
    assert answer.status_code == 200
    assert answer.get_json()["predicted_mpg"] > 0


def test_content_length_and_chunked_together_reads_the_chunks(served):
    """RFC 9112: Transfer-Encoding overrides Content-Length. Read by the Content-Length, the
    body would be 5 bytes of JSON and the rest a second, smuggled request."""
    answer = exchange(
        served,
        http(
            "POST", "/predict", chunked(CAR), {**JSON, "Content-Length": "5", "Transfer-Encoding": "chunked"}
        ),
    )
    assert answer.status_code == 200
    assert answer.get_json()["predicted_mpg"] > 0


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\rX-Injected: b\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n X-Injected: folded\r\nConnection: close\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: \x00\xff\x7f\r\nConnection: close\r\n\r\n",
    ],
    ids=["bare CR inside a header value", "obsolete header folding", "NUL and non-ASCII bytes"],
)
def test_odd_header_values_are_just_headers(served, raw):
    """Header values are never reflected into the answer's headers, whatever they hold."""
    answer = exchange(served, raw)
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ok"
    assert "x-injected" not in answer.headers


def test_head_and_options(served, carid):
    head = exchange(served, http("HEAD", "/cars"))
    assert head.status_code == 200 and head.data == b""
    options = exchange(served, http("OPTIONS", f"/cars/{carid}"))
    assert options.status_code == 200 and options.data == b""
    assert set(options.headers["allow"].split(", ")) >= {"GET", "PUT", "DELETE"}
