"""GET /health: is the model loadable and the table reachable? 200 if both, else 503."""

from flask import Blueprint, current_app, jsonify

from .model_store import ModelUnavailable
from .storage import StorageUnavailable

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    checks, problems, model_id = {}, [], None
    try:
        model_id = current_app.extensions["car_model"].get().model_id
        checks["model"] = "ok"
    except ModelUnavailable as e:
        checks["model"] = "unavailable"
        problems.append(f"model: {e}")
    try:
        current_app.extensions["car_store"].ping()
        checks["storage"] = "ok"
    except StorageUnavailable as e:
        checks["storage"] = "unavailable"
        problems.append(f"storage: {e}")
    if problems:
        return jsonify({"error": "unhealthy", "message": "; ".join(problems), "checks": checks}), 503
    return jsonify({"status": "ok", "checks": checks, "model_id": model_id})
