"""Run the packaged Lambda handler the way a cold Lambda container would, and report.

Started by tests/test_artifact.py with the base Python 3.12 interpreter in isolated mode
(`python -I -S`: no site-packages, no PYTHONPATH, no user site), from the unpacked artifact:

    python -I -S lambda_runner.py ARTIFACT_DIR EVENT.json [EVENT.json ...]

Prints one JSON line per event: its name, the handler's response and the seconds it took (the
first one includes importing the handler, i.e. the cold start), then a line with the modules
that ended up imported.
"""

import json
import os
import sys
import time

started = time.perf_counter()
artifact = sys.argv[1]
assert not any("site-packages" in p for p in sys.path), sys.path
sys.path.insert(0, artifact)
os.chdir(artifact)  # Lambda's working directory is the unpacked package, /var/task

import wsgi_handler  # noqa: E402  (the handler serverless-wsgi packs; imports the app)


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "api", 1024, "local"

    @staticmethod
    def get_remaining_time_in_millis():
        return 10_000


for path in sys.argv[2:]:
    with open(path) as f:
        event = json.load(f)
    response = wsgi_handler.handler(event, Context())
    print(json.dumps({"event": os.path.basename(path), "response": response,
                      "seconds": time.perf_counter() - started}), flush=True)
    started = time.perf_counter()
print(json.dumps({"modules": sorted(m.split(".")[0] for m in sys.modules)}))
