"""GET /health: the checks of every mounted feature (its model loads, its table answers).

200 `{"status": "ok", "checks": {...}[, "model_id"]}` when all pass, else 503 with the problems.
"""

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify

from .artifacts import ModelUnavailable
from .aws import StorageUnavailable

bp = Blueprint("health", __name__)


def add_check(app: Flask, name: str, check: Callable[[], object]) -> None:
    """Run `check` on every GET /health. It raises ModelUnavailable or StorageUnavailable when
    what it checks is not ready; a `model` check returns the model_id, which the answer carries."""
    app.extensions.setdefault("health_checks", {})[name] = check


@bp.get("/health")
def health():
    """Whether everything the mounted features need is ready."""
    checks, problems, model_id = {}, [], None
    for name, check in current_app.extensions.get("health_checks", {}).items():
        try:
            result = check()
        except (ModelUnavailable, StorageUnavailable) as e:
            checks[name] = "unavailable"
            problems.append(f"{name}: {e}")
            continue
        checks[name] = "ok"
        if name == "model":
            model_id = result
    if problems:
        return jsonify({"error": "unhealthy", "message": "; ".join(problems), "checks": checks}), 503
    body = {"status": "ok", "checks": checks}
    if model_id is not None:
        body["model_id"] = model_id
    return jsonify(body)
