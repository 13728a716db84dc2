"""Lambda SnapStart (`make package SNAPSTART=true`): Lambda initialises the function once, snapshots
its memory, and starts new instances from that snapshot. What must differ per instance is made
so in the runtime's restore hooks (snapshot_restore_py, which Lambda's Python runtime provides).

- before the snapshot: the car model is loaded and verified, so no restored instance pays for it;
- after each restore: the `random` module is reseeded (every instance would otherwise draw the
  same numbers), and the AWS clients are dropped, so no connection opened before the snapshot is
  shared by instances (each makes its own on first use).

uuid4 and secrets read the OS's randomness on every call, so ids stay unique without a hook.
"""

from __future__ import annotations

import os
import random

from . import aws


def enabled(environ=os.environ) -> bool:
    """Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE=snap-start when it initialises for a snapshot."""
    return environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def register(app) -> None:
    """Register the hooks for `app` when this initialisation is for a snapshot."""
    if not enabled():
        return
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    register_before_snapshot(before_snapshot, app)
    register_after_restore(after_restore)


def before_snapshot(app) -> None:
    holder = app.extensions.get("car_model")
    if holder is not None:
        holder.get()  # a model that cannot load fails the snapshot: the version is not published
    aws.drop_clients()


def after_restore() -> None:
    random.seed(os.urandom(32))
    aws.drop_clients()
