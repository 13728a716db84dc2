"""`make offline`: serverless-offline serving serverless.yml on localhost, local AWS behind it.

API Gateway and Lambda are emulated by serverless-offline (the function runs in a Python child
process through serverless-wsgi's handler, as on Lambda); DynamoDB is a moto server. Write routes
need the `x-api-key` header, as API Gateway would require.

    python -m workshop.offline [--port 5000] [--moto-port 4566]   # until Ctrl-C
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import ROOT
from .local_aws import (
    MotoServer,
    Service,
    create_pipeline,
    create_tables,
    env,
    exit_on_sigterm,
    stage_table_names,
    stop_process,
    wait_for_http,
)

STAGE = "offline"
# serverless-offline cannot resolve the bucket's CloudFormation name: serverless.yml takes this one
# as --param=documentsBucket (the jobs routes store uploads there).
DOCUMENTS_BUCKET = f"serverless-ml-workshop-{STAGE}-documents"
# A fixed key for local use only: API Gateway in AWS generates its own (see serverless.yml).
LOCAL_API_KEY = "workshop-local-api-key-do-not-use-in-aws"


class Offline(Service):
    """moto + `sls offline start`; a context manager, like workshop.stack.LocalStack."""

    def __init__(self, port: int, moto_port: int, lambda_port: int, quiet: bool = False):
        self.port, self.lambda_port, self.quiet = port, lambda_port, quiet
        self.url = f"http://127.0.0.1:{port}"
        self.moto = MotoServer(moto_port)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Offline":
        self.moto.start()
        try:
            create_tables(stage_table_names(STAGE), self.moto.endpoint)
            create_pipeline(self.moto.endpoint, DOCUMENTS_BUCKET, prefix=f"workshop-{STAGE}")
            venv_bin = str(Path(sys.executable).parent)
            environment = {
                **os.environ,
                **env(self.moto.endpoint),
                "PORT": str(self.port),
                "LAMBDA_PORT": str(self.lambda_port),
                "API_KEY": LOCAL_API_KEY,
                # serverless-offline runs the handler with `python3` from PATH
                "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
                "VIRTUAL_ENV": str(Path(venv_bin).parent),
            }
            output = subprocess.DEVNULL if self.quiet else None
            # A process group of its own, so that stop() ends npx, node and the Python workers.
            self.process = subprocess.Popen(
                [
                    str(ROOT / "node_modules" / ".bin" / "sls"),
                    "offline",
                    "start",
                    "--stage",
                    STAGE,
                    f"--param=documentsBucket={DOCUMENTS_BUCKET}",
                    "--host",
                    "127.0.0.1",
                ],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
            wait_for_http(f"{self.url}/openapi.json", timeout=90, process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=20, group=True)
        self.moto.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT") or 4566))
    parser.add_argument("--lambda-port", type=int, default=int(os.environ.get("LAMBDA_PORT") or 3002))
    args = parser.parse_args(argv)
    exit_on_sigterm()
    with Offline(args.port, args.moto_port, args.lambda_port) as offline:
        print(
            f"\nAPI Gateway + Lambda (serverless-offline)  {offline.url}\n"
            f"local AWS (moto)                           {offline.moto.endpoint}\n"
            f"write routes need:  -H 'x-api-key: {LOCAL_API_KEY}'\nCtrl-C stops both.",
            flush=True,
        )
        try:
            offline.process.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
