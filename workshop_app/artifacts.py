"""Model artifacts: a directory (local path or `s3://bucket/prefix`) holding `manifest.json` and the
files it lists with their sha256. Both models (the car model and SmartCat's page classifier) are
read, verified, written and held through this module.

A file's bytes are hashed and compared with the manifest, and with a pinned digest when one is
given, *before* anything parses or unpickles them. The manifest's `model_id` names the trained
model whatever its format: the first 12 hex digits of its `portable` file's sha256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
from array import array
from collections.abc import Callable
from pathlib import Path

MANIFEST = "manifest.json"
#: The manifest key of the file Lambda loads (pure-Python JSON); model_id is derived from it.
PORTABLE = "portable"


class ModelUnavailable(RuntimeError):
    """The artifact is missing, unreadable, tampered with or incompatible; the message says which."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(uri: str, name: str, build: str = "make model") -> bytes:
    """The bytes of file `name` in the artifact at `uri`; `build` is the command that makes it."""
    uri = str(uri)
    if uri.startswith("s3://"):
        from . import aws

        bucket, _, prefix = uri[len("s3://") :].partition("/")
        key = f"{prefix.rstrip('/')}/{name}" if prefix else name
        try:
            return (
                aws.Client("s3")
                .call("get_object", f"bucket {bucket!r}", Bucket=bucket, Key=key)["Body"]
                .read()
            )
        except Exception as e:  # noqa: BLE001 (missing, denied, unreachable: the model is unavailable)
            raise ModelUnavailable(f"cannot read s3://{bucket}/{key}: {e!r}") from e
    path = Path(uri) / name
    try:
        return path.read_bytes()
    except OSError as e:
        raise ModelUnavailable(
            f"cannot read model file {path}: {e.strerror}. Build it first: `{build}`"
        ) from e


def read_verified(
    uri: str,
    key: str,
    pinned: str | None = None,
    *,
    pin_name: str = "the pinned digest",
    build: str = "make model",
) -> tuple[dict, bytes]:
    """The manifest and the verified bytes of the file it lists under `key`.

    Raises ModelUnavailable when the manifest is not one, lists no such file or names it with a
    path, or when the bytes differ from the manifest's sha256 or from `pinned` (named `pin_name`
    in the message).
    """
    uri = str(uri)
    try:
        manifest = json.loads(read(uri, MANIFEST, build))
        files = manifest["files"]
        str(files[PORTABLE]["sha256"])  # model_id needs it whatever file is read
        entry = files.get(key)
        name, digest = (entry["name"], str(entry["sha256"]).lower()) if entry else (None, None)
    except (ValueError, KeyError, TypeError) as e:
        raise ModelUnavailable(f"{uri}/{MANIFEST} is not a valid model manifest ({e!r})") from e
    if entry is None:
        raise ModelUnavailable(f"{uri}/{MANIFEST} lists no {key!r} model (it has {sorted(files)})")
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        raise ModelUnavailable(f"manifest names an invalid model file {name!r}")
    data = read(uri, name, build)
    actual = sha256_hex(data)
    for source, expected in (("manifest", digest), (pin_name, pinned)):
        if expected is not None and not hmac.compare_digest(actual, str(expected).lower()):
            raise ModelUnavailable(
                f"{uri}/{name} failed verification: sha256 {actual} does not match "
                f"{source} ({expected}); refusing to load it"
            )
    return manifest, data


def pack(values, typecode: str = "d") -> str:
    """Numbers as base64 of their little-endian bytes (`d`: float64, `i`: int32, `b`: int8):
    exact, and a few times faster to load than a JSON list of them (one string to decode, no
    number to parse: lesson 02 measures it)."""
    packed = array(typecode, values)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def unpack(text: str, typecode: str = "d") -> array:
    packed = array(typecode)
    packed.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed


def model_id(manifest: dict) -> str:
    return str(manifest["files"][PORTABLE]["sha256"])[:12]


def write_file(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all (a reader sees the old file or the new, never half)."""
    staging = path.with_name(f".{path.name}.writing")
    staging.write_bytes(data)
    os.replace(staging, path)


def write_manifest(out_dir: Path, files: dict[str, str], **fields) -> dict:
    """Write `manifest.json` into `out_dir` listing `files` (manifest key -> file name in out_dir,
    `portable` among them, written first with write_file) with their sha256, the model_id, and
    `fields`; return it."""
    out_dir = Path(out_dir)
    listed = {
        key: {"name": name, "sha256": sha256_hex((out_dir / name).read_bytes())}
        for key, name in files.items()
    }
    manifest = {
        "model": fields.pop("model"),
        "model_id": model_id({"files": listed}),
        **fields,
        "files": listed,
    }
    write_file(out_dir / MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    return manifest


class Holder[T]:
    """Loads a model on first use and keeps it for the life of the process (a Lambda container).

    A failed load is not kept: the next call tries again, so fixing the artifact needs no
    restart, and every caller until then gets the same clear ModelUnavailable. Threads share one
    load (the local worker runs handlers on several).
    """

    def __init__(self, load: Callable[[], T]):
        self._load = load
        self._value: T | None = None
        self._lock = threading.Lock()
        self.load_attempts = 0

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self.load_attempts += 1
                    self._value = self._load()
        return self._value

    @property
    def loaded(self) -> bool:
        return self._value is not None
