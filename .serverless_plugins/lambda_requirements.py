"""Each Lambda function's own requirements, as Lambda's wheels, for lambda-requirements.js.

    python3.12 lambda_requirements.py install --arch ARCH --constraints FILE --cache DIR PKG...
        print the directory holding PKG... and their dependencies (pinned by FILE), installed as
        manylinux wheels for CPython 3.12 on ARCH (x86_64 or arm64) whatever machine runs this,
        with hash-checked bytecode; made once per (ARCH, PKG..., FILE's content) under DIR
    python3.12 lambda_requirements.py bytecode PATH...
        replace the .pyc of each PATH (a folder, or one module) by hash-checked bytecode
    python3.12 lambda_requirements.py inject ZIP DIR [--exclude PATTERN]... [--botocore-data SERVICE]...
        add DIR's files to the function's ZIP (at its root), but those matching a PATTERN, and
        botocore's models of the services not named (when any are)

Standard library and pip only: it runs from a reference deployment copied out of the workshop.
serverless-python-requirements installs one set of requirements for a whole service (per-function
sets need a directory per function that holds its code); this installs each function's own.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from fnmatch import fnmatch
from pathlib import Path

#: pip's platform tags for each Lambda architecture: manylinux_2_28 first (what tesserocr and
#: the newest wheels publish; Lambda's python3.12 runs on Amazon Linux 2023, glibc 2.34), then
#: manylinux2014 (glibc 2.17) for packages that publish only that.
PLATFORMS = {
    "x86_64": ("manylinux_2_28_x86_64", "manylinux2014_x86_64"),
    "arm64": ("manylinux_2_28_aarch64", "manylinux2014_aarch64"),
}
PYTHON = "3.12"
#: osls dates every zip entry 1980-01-01; the injected files are dated alike, so an artifact does
#: not change with the time it was built.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: Bumped when what `install` produces changes, so cached trees from before are not reused.
VERSION = "1"


def pip_args(arch: str) -> list[str]:
    """pip's arguments for Lambda's wheels on `arch`: binary wheels only (nothing built for the
    machine that packages), for CPython 3.12 on manylinux."""
    if arch not in PLATFORMS:
        raise SystemExit(f"architecture must be one of {', '.join(PLATFORMS)}, not {arch!r}")
    return [
        *(f"--platform={tag}" for tag in PLATFORMS[arch]),
        "--implementation=cp",
        f"--python-version={PYTHON}",
        "--only-binary=:all:",
    ]


def compile_bytecode(directory: Path) -> None:
    """Ship .pyc that stay valid after zipping and unzipping: checked-hash bytecode compares a
    hash of the source, not its mtime. A zip keeps times to 2 s, so mtime-based .pyc go stale,
    and Lambda's read-only /var/task cannot rewrite them: every cold start would recompile."""
    for cache in directory.rglob("__pycache__"):
        shutil.rmtree(cache)
    compileall.compile_dir(
        str(directory),
        quiet=1,
        workers=1,
        invalidation_mode=compileall.py_compile.PycInvalidationMode.CHECKED_HASH,
    )


def pip_install(
    arch: str,
    target: Path,
    requirements: list[str],
    pip_cache: Path | None = None,
    pip_bytecode: bool = False,
) -> None:
    """`pip install --target` of `requirements` (pip arguments) as Lambda's wheels for `arch`;
    with `pip_bytecode`, the timestamp-checked .pyc a plain `pip install` writes (what the
    benchmark compares against), else none (install() compiles hash-checked bytecode itself)."""
    cache_args = ["--cache-dir", str(pip_cache)] if pip_cache else ["--no-cache-dir"]
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not pip_bytecode:
        command.append("--no-compile")
    result = subprocess.run(
        [*command, "--target", str(target), *cache_args, *pip_args(arch), *requirements],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:  # pip's own warnings are noise unless it failed
        raise SystemExit(
            f"pip could not install {' '.join(requirements)} for {arch}:\n{result.stderr[-3000:]}"
        )


def install(arch: str, constraints: Path, cache: Path, packages: list[str]) -> Path:
    """The tree of `packages` and their dependencies (pinned by `constraints`) for `arch`, with
    hash-checked bytecode: built once under `cache`, keyed by what went into it."""
    key = hashlib.sha256(
        "\n".join([VERSION, arch, *sorted(packages), constraints.read_text()]).encode()
    ).hexdigest()[:16]
    cache = cache.resolve()
    target = cache / "trees" / f"{arch}-{key}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=cache))
    try:
        pip_install(arch, staging, ["--constraint", str(constraints), *packages], cache / "pip")
        shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts: not run on Lambda
        compile_bytecode(staging)
        try:
            staging.rename(target)  # atomic: a concurrent build of the same tree wins or loses whole
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _unused_model(name: str, services: list[str]) -> bool:
    """A file of botocore/data/<service>/ for a service not in `services`. botocore's models of
    every AWS service are most of its 25 MB; a function calls a few."""
    parts = name.split("/")
    return (
        bool(services) and len(parts) > 3 and parts[:2] == ["botocore", "data"] and parts[2] not in services
    )


def inject(zip_path: Path, directory: Path, exclude: list[str], services: list[str] = ()) -> int:
    """Add every file under `directory` to the zip, dated ZIP_DATE; the number added."""
    added = 0
    with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as archive:
        present = set(archive.namelist())
        for path in sorted(directory.rglob("*")):
            name = path.relative_to(directory).as_posix()
            if (
                not path.is_file()
                or name in present
                or any(fnmatch(name, p) for p in exclude)
                or _unused_model(name, services)
            ):
                continue
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (path.stat().st_mode & 0xFFFF) << 16
            archive.writestr(info, path.read_bytes())
            added += 1
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("install")
    command.add_argument("--arch", required=True)
    command.add_argument("--constraints", type=Path, required=True)
    command.add_argument("--cache", type=Path, required=True)
    command.add_argument("packages", nargs="+")
    command = commands.add_parser("bytecode")
    command.add_argument("paths", nargs="+", type=Path)
    command = commands.add_parser("inject")
    command.add_argument("zip", type=Path)
    command.add_argument("dir", type=Path)
    command.add_argument("--exclude", action="append", default=[])
    command.add_argument("--botocore-data", action="append", default=[])
    args = parser.parse_args(argv)
    if args.command == "install":
        print(install(args.arch, args.constraints, args.cache, args.packages))
    elif args.command == "bytecode":
        for path in args.paths:
            if path.is_dir():
                compile_bytecode(path)
            else:
                py_compile.compile(str(path), invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    else:
        print(inject(args.zip, args.dir, args.exclude, args.botocore_data))
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
