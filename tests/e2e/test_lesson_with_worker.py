"""Lesson 10 as `make lab` runs it: beside the local stack's own pipeline worker.

nbval runs the lesson against a moto server of the kernel's own, where nothing else polls the
queues. Under `make lab` the stack's worker polls its queues all the time, so a lesson that
hands messages to the handlers itself must use queues (and a table and bucket) of its own, or
the worker takes its messages first. This runs the solution notebook top to bottom, with the
kernel's environment pointing at the stack's moto as `make lab` sets it, and fails on the first
cell that raises.
"""

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workshop import ROOT
from workshop.local_aws import env, free_port
from workshop.stack import LocalStack

LESSON = ROOT / "solutions" / "10_pipeline.ipynb"


def test_lesson_10_runs_beside_the_stacks_worker():
    with LocalStack(free_port(), free_port(), quiet=True) as stack:
        assert stack.worker.poll() is None, "the stack's pipeline worker is not running"
        notebook = nbformat.read(LESSON, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=120,  # per cell
            kernel_name="python3",
            resources={"metadata": {"path": str(LESSON.parent)}},  # the kernel's cwd, as in Jupyter
        )
        try:
            # stack.env is what `make lab` gives JupyterLab: AWS_ENDPOINT_URL and the stack's
            # queue URLs and table names (the lesson must not use them).
            client.execute(env={**stack.env, **env(stack.moto.endpoint)})
        except CellExecutionError as error:
            raise AssertionError(f"{LESSON.name} failed beside the stack's worker:\n{error}") from None
        assert stack.worker.poll() is None, "the stack's worker died while the lesson ran"
