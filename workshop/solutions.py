"""`make solution NAME=... DEST=...`: a reference deployment from solutions/ as a folder of its
own, that packages and deploys with nothing else of the workshop.

    python -m workshop.solutions export cars-api ~/my-car-api
    python -m workshop.solutions list

The folder holds plain copies, no links (a Windows checkout without core.symlinks gets the same
thing): the solution's serverless.yml and README, the deployment/ parts it includes, the app,
the models its functions ship, the pinned Lambda requirements, and the pinned Node tools with
the local plugin. `./deployment/...` paths then mean in the copy what they mean here.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from . import ROOT
from .serverless_config import read_serverless_yml

SOLUTIONS = ROOT / "solutions"
#: What every copy takes from the repository, besides the solution's own files and its models.
SHARED = (
    "deployment",
    "workshop_app",
    ".serverless_plugins",
    "requirements/lambda.in",
    "requirements/lambda.txt",
    "package.json",
    "package-lock.json",
    ".npmrc",
)
GITIGNORE = "node_modules/\n.venv/\n.serverless/\n.cache/\n__pycache__/\n*.pyc\n"


def names() -> list[str]:
    return sorted(p.name for p in SOLUTIONS.iterdir() if (p / "serverless.yml").is_file())


def models(name: str) -> list[str]:
    """The model directories the solution's functions ship (their `models/<x>/...` patterns)."""
    config = read_serverless_yml(SOLUTIONS / name / "serverless.yml", service_dir=ROOT)
    patterns = [p for f in config["functions"].values() for p in f.get("package", {}).get("patterns", [])]
    return sorted({"/".join(p.split("/")[:2]) for p in patterns if p.startswith("models/")})


def export(name: str, dest: Path) -> Path:
    """Write the solution `name` into `dest` (which must not exist yet); return it."""
    if name not in names():
        raise SystemExit(f"no reference deployment {name!r}; there are: {', '.join(names())}")
    dest = Path(dest).expanduser()
    if dest.exists():
        raise SystemExit(f"{dest} exists already; choose a new folder")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(SOLUTIONS / name, dest, ignore=ignore)
    for relative in (*SHARED, *models(name)):
        source = ROOT / relative
        if not source.exists():
            raise SystemExit(f"{relative} is missing: build it first (`make package` builds the models)")
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    (dest / ".gitignore").write_text(GITIGNORE)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the reference deployments")
    command = commands.add_parser("export", help="write one into a new folder")
    command.add_argument("name")
    command.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(names()))
        return 0
    dest = export(args.name, args.dest)
    print(
        f"{args.name} written to {dest}. There:\n"
        f"  npm ci                                   # osls and its plugins, pinned\n"
        f"  python3.12 -m venv .venv && .venv/bin/pip install -r requirements/lambda.txt\n"
        f'  PATH="$PWD/.venv/bin:$PATH" npx sls package   # or: sls deploy --stage dev'
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
