"""The local stack: local AWS (a moto server), the API on localhost and SmartCat's pipeline
worker (Lambda's SQS pollers, locally), as separate processes.

    python -m workshop.stack serve   # until Ctrl-C; PORT (default 5000), MOTO_PORT (default 4566)
    python -m workshop.stack lab     # the same, plus JupyterLab on notebooks/ using it
    python -m workshop.stack worker  # the pipeline worker alone, on AWS_ENDPOINT_URL's queues
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import CARS_MODEL_DIR, ROOT
from .local_aws import (
    MotoServer,
    Service,
    create_pipeline,
    create_tables,
    env,
    exit_on_sigterm,
    pipeline_routes,
    stop_process,
    table_names,
    wait_for_http,
)


class LocalStack(Service):
    """moto on `moto_port` and the Flask app on `port`, both bound to 127.0.0.1, and the
    pipeline worker polling SmartCat's queues in local AWS."""

    def __init__(self, port: int, moto_port: int, model_dir: Path = CARS_MODEL_DIR, quiet: bool = False):
        self.port, self.model_dir, self.quiet = port, model_dir, quiet
        self.url = f"http://127.0.0.1:{port}"
        self.moto = MotoServer(moto_port)
        self.api: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.pipeline_env: dict[str, str] = {}

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **env(self.moto.endpoint),
            "MODEL_URI": str(self.model_dir),
            **self.pipeline_env,
        }

    def start(self) -> "LocalStack":
        self.moto.start()
        try:
            create_tables(table_names(self.env), self.moto.endpoint)
            from workshop_app.settings import from_env

            self.pipeline_env = create_pipeline(self.moto.endpoint, from_env(self.env)["DOCUMENTS_BUCKET"])
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "workshop.stack", "worker"],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL if self.quiet else None,
            )
            # Flask's development server, threaded: fine for one person on a laptop.
            self.api = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "workshop_app",
                    "run",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-reload",
                    "--no-debugger",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL if self.quiet else None,
            )  # None: the request log shows
            wait_for_http(f"{self.url}/", process=self.api)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.api)
        stop_process(self.worker)
        self.moto.stop()


def run_worker() -> int:
    """Poll SmartCat's queues (URLs from the environment, as LocalStack sets them) and run
    serverless.yml's handlers on what arrives, until SIGTERM or Ctrl-C."""
    import logging
    import signal
    import threading

    from workshop.worker import Worker

    logging.basicConfig(level=logging.INFO, format="worker  %(levelname)s %(name)s: %(message)s")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with Worker(pipeline_routes(os.environ), wait_seconds=1):
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    return 0


def port_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT") or 5000),
        help="API port (env PORT, default 5000)",
    )
    parser.add_argument(
        "--moto-port",
        type=int,
        default=int(os.environ.get("MOTO_PORT") or 4566),
        help="local AWS port (env MOTO_PORT, default 4566)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["serve", "lab", "worker"])
    port_arguments(parser)
    parser.add_argument(
        "--lab-port",
        type=int,
        default=int(os.environ.get("LAB_PORT") or 8888),
        help="JupyterLab's port (env LAB_PORT, default 8888)",
    )
    args = parser.parse_args(argv)
    if args.command == "worker":
        return run_worker()
    exit_on_sigterm()
    status = 0
    with LocalStack(args.port, args.moto_port) as stack:
        print(
            f"API        {stack.url}   (try {stack.url}/health)\n"
            f"local AWS  {stack.moto.endpoint}   (AWS_ENDPOINT_URL)\n"
            f"worker     SmartCat's split, page and aggregate handlers on local SQS",
            flush=True,
        )
        try:
            if args.command == "lab":
                # Containers and CI machines often run as root, which Jupyter refuses by default.
                as_root = ["--allow-root"] if os.geteuid() == 0 else []
                status = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "jupyter",
                        "lab",
                        "--no-browser",
                        *as_root,
                        "--ServerApp.ip=127.0.0.1",
                        f"--ServerApp.port={args.lab_port}",
                        "--notebook-dir",
                        str(ROOT / "notebooks"),
                    ],
                    env=stack.env,
                    check=False,
                ).returncode
            else:
                print("Ctrl-C stops both.", flush=True)
                status = stack.api.wait()
        except KeyboardInterrupt:
            pass
        print("\nstopping the local stack", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
