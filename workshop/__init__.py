"""Workshop tooling that never ships to Lambda: data, training, the local AWS stack, the demo tour
and the notebook builder. The deployed code is `workshop_app/` alone."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
MODELS_DIR = ROOT / "models"
CARS_MODEL_DIR = MODELS_DIR / "cars"
#: A cold Lambda container, locally: run a packaged handler in a bare interpreter (lambda_runner.py).
LAMBDA_RUNNER = ROOT / "workshop" / "lambda_runner.py"
#: Saved API Gateway events (REST v1 and HTTP API v2), one per request.
EVENTS_DIR = ROOT / "workshop" / "events"
