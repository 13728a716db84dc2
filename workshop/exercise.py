"""What a lesson's check cells use: a check that says what is wrong, in one line, not a traceback.

    from workshop.exercise import answer, check

    share = answer("numeric_share", globals())         # the name the task gives
    check(isinstance(share, float), "numeric_share should be a number, not {share!r}")
    check(0.4 < share < 0.9, f"{share:.0%} is not numpy and scipy's share: count both packages")
    # prints "✔ ..." for each check that passes

A failed check raises NotSolved, which Jupyter shows as its message alone (and nbval, in the
learner notebooks, expects: their check cells are tagged raises-exception).
"""

from __future__ import annotations

_MISSING = object()


class NotSolved(AssertionError):
    """An exercise's answer is missing or wrong; the message says what to change."""

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of a traceback
        return [f"✘ {self}"]


def answer(name: str, namespace: dict, hint: str = "") -> object:
    """The value the task asked for under `name`, or NotSolved saying it is not there yet."""
    value = namespace.get(name, _MISSING)
    if value is _MISSING:
        raise NotSolved(
            f"`{name}` is not defined yet: run your answer's cell first{f' ({hint})' if hint else ''}"
        )
    return value


def check(passed: bool, problem: str, ok: str = "") -> None:
    """Nothing (or `✔ ok`) when `passed`; else NotSolved(problem)."""
    if not passed:
        raise NotSolved(problem)
    if ok:
        print(f"✔ {ok}")


def solved(what: str) -> None:
    """Say that the exercise is solved (the last line of a check cell)."""
    print(f"✔ {what}")
