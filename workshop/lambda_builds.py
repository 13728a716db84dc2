"""Build Lambda artifacts in a directory, step by step, to measure and compare them (lessons 05 and 07,
`make bench`): Lambda's wheels, slim's deletions, bytecode, the zip.

The wheels and the bytecode come from the same code `sls package` runs
(.serverless_plugins/lambda_requirements.py), so there is one definition of "Lambda's wheels".
"""

import contextlib
import fcntl
import importlib.util
import os
import shutil
import zipfile
from fnmatch import fnmatch
from pathlib import Path

from . import CARS_MODEL_DIR, ROOT
from .serverless_config import read_serverless_yml

# serverless-python-requirements' default slim patterns (lib/slim.js), plus serverless.yml's.
SLIM_PATTERNS = ("**/*.py[c|o]", "**/__pycache__*", "**/*.dist-info*")
HANDLER_FILES = ("wsgi_handler.py", "serverless_wsgi.py")


def _plugin():
    """The serverless plugin's Python half (it lives beside the plugin, not in a package)."""
    path = ROOT / ".serverless_plugins" / "lambda_requirements.py"
    spec = importlib.util.spec_from_file_location("lambda_requirements", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lambda_requirements = _plugin()


@contextlib.contextmanager
def osls_lock():
    """One osls at a time in this project: osls writes .serverless/ and serverless-wsgi writes its
    handler into the project, so two `sls package`/`offline`/`deploy` runs side by side (the tests
    run notebooks and test files in parallel) would overwrite each other's files."""
    lock_file = ROOT / ".serverless.lock"
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pip_platform_args(arch: str = "x86_64") -> list[str]:
    """pip's arguments for Lambda's wheels on `arch` (x86_64 or arm64)."""
    return lambda_requirements.pip_args(arch)


def pip_install(
    requirements: list[str], target: Path, cache: Path | None = None, arch: str = "x86_64"
) -> None:
    """Install `requirements` (pip specifiers) into `target` as Lambda wheels, with the .pyc pip
    writes (timestamp-checked, as a plain `pip install` leaves them)."""
    lambda_requirements.pip_install(arch, target, requirements, cache, pip_bytecode=True)


def _matches(relative: str, pattern: str) -> bool:
    """The plugin's glob semantics for its patterns: `**/X` is X at any depth, and `X/**`
    everything below X (fnmatch has no `**`)."""
    pattern = pattern.replace("[c|o]", "[co]")
    if pattern.endswith("/**"):  # the directory and everything inside it
        parts = relative.split("/")
        return any(
            _matches("/".join(parts[:i]), pattern.removesuffix("/**")) for i in range(1, len(parts) + 1)
        )
    if pattern.startswith("**/"):
        pattern = pattern.removeprefix("**/")
        if "/" not in pattern:
            return fnmatch(relative.rsplit("/", 1)[-1], pattern)
        return any(
            fnmatch("/".join(relative.split("/")[i:]), pattern) for i in range(relative.count("/") + 1)
        )
    return fnmatch(relative, pattern)


def slim(target: Path, extra_patterns: tuple[str, ...] = ()) -> int:
    """Delete what the plugin's `slim: true` deletes (bytecode, caches, dist-info, plus
    `extra_patterns`); return the bytes removed. Never strips shared libraries (see
    serverless.yml: stripping scipy's OpenBLAS breaks it)."""
    removed = 0
    for path in sorted(target.rglob("*"), key=lambda p: -len(p.parts)):
        if not path.exists():
            continue
        relative = path.relative_to(target).as_posix()
        if any(_matches(relative, p) for p in (*SLIM_PATTERNS, *extra_patterns)):
            removed += tree_size(path)
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return removed


def compile_bytecode(target: Path) -> None:
    """Hash-checked bytecode for everything under `target`, as `sls package` ships it."""
    lambda_requirements.compile_bytecode(target)


def remove_bytecode(target: Path) -> None:
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache)


def add_app(
    target: Path,
    model_files: tuple[str, ...] = ("manifest.json", "model.json"),
    app: tuple[str, str] | None = None,
) -> None:
    """Copy the app, serverless-wsgi's handler and the model in, as `sls package` does; or, with
    `app=(module, source)`, that one module as the WSGI app instead (and no model)."""
    plugin = ROOT / "node_modules" / "serverless-wsgi"
    for name in HANDLER_FILES:
        shutil.copy(plugin / name, target / name)
    if app is not None:
        module, source = app
        (target / f"{module}.py").write_text(source)
        (target / ".serverless-wsgi").write_text(f'{{"app": "{module}.app"}}')
        return
    shutil.copytree(
        ROOT / "workshop_app", target / "workshop_app", ignore=shutil.ignore_patterns("__pycache__")
    )
    wsgi = read_serverless_yml()["custom"]["wsgi"]
    (target / ".serverless-wsgi").write_text(f'{{"app": "{wsgi["app"]}"}}')
    (target / "models" / "cars").mkdir(parents=True)
    for name in model_files:
        shutil.copy(CARS_MODEL_DIR / name, target / "models" / "cars" / name)


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def sizes_by_top(target: Path) -> dict[str, int]:
    """Unpacked bytes per top-level entry, largest first."""
    sizes = {p.name: tree_size(p) for p in target.iterdir()}
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


# osls writes every zip entry with the same date (zip-service.js: `new Date(0)`, which zip
# stores as its earliest date, 1980-01-01), so after unzipping every source file is "older" than
# the time pip recorded in its .pyc: all timestamp-based bytecode in an `sls package` is stale.
OSLS_ZIP_DATE = lambda_requirements.ZIP_DATE


def zip_dir(target: Path, zip_path: Path, date_time: tuple = OSLS_ZIP_DATE) -> int:
    """Zip like the Serverless Framework (deflate, every entry dated `date_time`); return the
    zip's bytes. Pass date_time=None to keep each file's own time instead."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(target.rglob("*")):
            if path.is_file():
                name = path.relative_to(target).as_posix()
                if date_time is None:
                    archive.write(path, name)
                else:
                    info = zipfile.ZipInfo(name, date_time)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = (path.stat().st_mode & 0xFFFF) << 16
                    archive.writestr(info, path.read_bytes())
    return zip_path.stat().st_size


def unzip(zip_path: Path, target: Path) -> None:
    """Unpack, setting each file's time from the zip as Lambda's unpacking does (2 s precision),
    so that timestamp-based .pyc behave as they would on Lambda."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            archive.extract(info, target)
            stamp = __import__("time").mktime((*info.date_time, 0, 0, -1))
            os.utime(target / info.filename, (stamp, stamp))
