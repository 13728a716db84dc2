"""Run a packaged Lambda handler the way a cold Lambda container would, and report.

Standard library only: it is started with a bare Python 3.12 in isolated mode (`python -I -S`:
no site-packages, no PYTHONPATH, no user site), with the unpacked artifact as the only addition
to sys.path and as the working directory (Lambda's /var/task):

    python -I -S lambda_runner.py ARTIFACT_DIR EVENT.json [EVENT.json ...] [--warm N]
        [--handler MODULE.FUNCTION]

The handler is serverless-wsgi's `wsgi_handler.handler` unless --handler names another (a
SmartCat function's, as serverless.yml spells it: `workshop_app/smartcat/handlers.page`).
Prints one JSON line per event: its name, the handler's response and the seconds it took (the
first includes importing the handler: the cold start). With --warm N, the last event is then
answered N more times and a line gives every warm latency in ms. A last line gives the modules
imported and the peak RSS.
"""

import json
import os
import sys
import time

started = time.perf_counter()
args = sys.argv[1:]


def option(name: str, default: str) -> str:
    if name not in args:
        return default
    at = args.index(name)
    value = args[at + 1]
    del args[at : at + 2]
    return value


warm = int(option("--warm", "0"))
module_name, _, function_name = option("--handler", "wsgi_handler.handler").rpartition(".")
artifact, *event_paths = args
assert not any("site-packages" in p for p in sys.path), sys.path
sys.path.insert(0, artifact)
os.chdir(artifact)

# serverless-wsgi's handler imports the app; a SmartCat handler its pipeline.
handler = getattr(__import__(module_name.replace("/", "."), fromlist=["_"]), function_name)


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "api", 1024, "local"

    @staticmethod
    def get_remaining_time_in_millis():
        return 10_000


event = None
for path in event_paths:
    with open(path) as f:
        event = json.load(f)
    response = handler(event, Context())
    print(
        json.dumps(
            {"event": os.path.basename(path), "response": response, "seconds": time.perf_counter() - started}
        ),
        flush=True,
    )
    started = time.perf_counter()
if warm:
    latencies = []
    for _ in range(warm):
        t = time.perf_counter()
        handler(event, Context())
        latencies.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"warm_ms": latencies}))


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries the
    peak of the process that forked us (a big pytest or notebook kernel) across exec into it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


print(json.dumps({"modules": sorted({m.split(".")[0] for m in sys.modules}), "peak_rss_mb": peak_rss_mb()}))
