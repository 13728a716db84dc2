"""Build Lambda artifacts in a directory, the way serverless-python-requirements does, to measure
and compare them (notebook 05, `make bench`).

Dependencies are installed with the same pip arguments serverless.yml gives the plugin (read from
it, so there is one source): Lambda's wheels, whatever machine builds.
"""

import compileall
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import zipfile
from fnmatch import fnmatch
from pathlib import Path

from . import CARS_MODEL_DIR, ROOT
from .local_aws import read_serverless_yml

# serverless-python-requirements' default slim patterns (lib/slim.js), plus serverless.yml's.
SLIM_PATTERNS = ("**/*.py[c|o]", "**/__pycache__*", "**/*.dist-info*")
HANDLER_FILES = ("wsgi_handler.py", "serverless_wsgi.py")


@contextlib.contextmanager
def osls_lock():
    """One osls at a time in this project: serverless-python-requirements stages its pip install
    in .serverless/requirements, so two `sls package`/`offline`/`deploy` runs side by side (the
    tests run notebooks and test files in parallel) would overwrite each other's files."""
    lock_file = ROOT / ".serverless.lock"
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pip_platform_args() -> list[str]:
    return list(read_serverless_yml()["custom"]["pythonRequirements"]["pipCmdExtraArgs"])


def pip_install(requirements: list[str], target: Path, cache: Path | None = None) -> None:
    """Install `requirements` (pip specifiers) into `target` as Lambda wheels."""
    cache_args = ["--cache-dir", str(cache)] if cache else ["--no-cache-dir"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            *pip_platform_args(),
            *cache_args,
            *requirements,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:  # pip's own warnings are noise unless it failed
        raise RuntimeError(f"pip install into {target} failed:\n{result.stderr[-3000:]}")


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
    """Ship .pyc that stay valid after zipping and unzipping: checked-hash bytecode compares a
    hash of the source, not its mtime (zip keeps times to 2 s, so mtime-based .pyc go stale, and
    Lambda's read-only /var/task cannot rewrite them: every cold start recompiles)."""
    compileall.compile_dir(
        str(target),
        quiet=1,
        workers=1,
        invalidation_mode=compileall.py_compile.PycInvalidationMode.CHECKED_HASH,
    )


def remove_bytecode(target: Path) -> None:
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache)


def add_app(target: Path, model_files: tuple[str, ...] = ("manifest.json", "model.json")) -> None:
    """Copy the app, serverless-wsgi's handler and the model in, as `sls package` does."""
    shutil.copytree(
        ROOT / "workshop_app", target / "workshop_app", ignore=shutil.ignore_patterns("__pycache__")
    )
    plugin = ROOT / "node_modules" / "serverless-wsgi"
    for name in HANDLER_FILES:
        shutil.copy(plugin / name, target / name)
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
OSLS_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


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


def main(argv: list[str] | None = None) -> int:
    """`python -m workshop.lambda_builds bytecode DIR...`: replace any .pyc in each DIR by
    hash-checked bytecode (the serverless plugin in .serverless_plugins/ runs this)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("command", choices=["bytecode"])
    parser.add_argument("dirs", nargs="+", type=Path)
    for directory in parser.parse_args(argv).dirs:
        remove_bytecode(directory)
        compile_bytecode(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
