"""The notebooks: generated files match their sources, and the generator does what it promises.

Running the notebooks themselves is nbval's job: `pytest --nbval-lax notebooks/*.ipynb
solutions/*.ipynb`.
"""

import ast
import json
import re

import pytest

from workshop import ROOT, notebooks

TINY = """\
# %% [markdown]
# # A lesson

# %%
x = 2

# %% tags=["solution"]
# Exercise 1: set answer to x squared.
# Use the ** operator.

answer = x**2

# %% tags=["solution"]
helper = 1
answer += helper - 1

# %% tags=["check"]
assert answer == 4

# %% [markdown] tags=["solution"]
# Squaring is multiplying a number by itself.

# %% tags=["keep-me"]
print("done")
"""


def names(source: str, context: type) -> set[str]:
    """Names a cell's code stores (context=ast.Store: variables, functions, classes it defines)
    or reads (ast.Load)."""
    python = "\n".join(line for line in source.splitlines() if not line.startswith(("%", "!")))
    tree = ast.walk(ast.parse(python))
    defined = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        n.name if isinstance(n, defined) else n.id
        for n in tree
        if (isinstance(n, ast.Name) and isinstance(n.ctx, context))
        or (context is ast.Store and isinstance(n, defined))
    }


def build(version: str):
    return notebooks.build(notebooks.parse(TINY), version, "notebooks/src/99_tiny.py")


def test_generated_notebooks_match_their_sources():
    stale = [p.relative_to(ROOT).as_posix() for p in notebooks.drift()]
    assert stale == [], f"run `{notebooks.COMMAND}` to regenerate: {stale}"


def test_learner_version_replaces_solutions_with_the_placeholder():
    cells = build("learner").cells
    assert cells[2].source == (
        "# Exercise 1: set answer to x squared.\n# Use the ** operator.\n# Write your code here."
    )
    assert cells[3].source == "# Write your code here."  # no task statement to keep
    assert not any("answer = " in c.source or "Squaring" in c.source for c in cells)


def test_learner_version_lets_check_cells_fail():
    check = build("learner").cells[4]
    assert check.source == "assert answer == 4"
    assert check.metadata["tags"] == ["raises-exception"]


def test_solution_version_keeps_every_cell_as_written():
    source = notebooks.parse(TINY)
    solution = build("solution")
    assert [c.source for c in solution.cells] == [c.source for c in source.cells]
    assert [c.cell_type for c in solution.cells] == [c.cell_type for c in source.cells]
    assert all(c.metadata == {} for c in solution.cells[:-1])  # solution/check tags consumed
    assert solution.cells[-1].metadata == {"tags": ["keep-me"]}


def test_markdown_solutions_are_left_out_of_the_learner_version():
    learner, solution = build("learner"), build("solution")
    assert len(learner.cells) == len(solution.cells) - 1
    assert learner.cells[-1].metadata == {"tags": ["keep-me"]}


def test_output_is_deterministic_and_clean():
    first, second = notebooks.render(build("learner")), notebooks.render(build("learner"))
    assert first == second
    nb = json.loads(first)
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "notebooks/src/99_tiny.py" in nb["metadata"]["workshop"]["note"]
    assert [c["id"] for c in nb["cells"]][:3] == ["cell-000", "cell-001", "cell-002"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.mark.parametrize(
    ("first_line", "kept"),
    [
        ("# Exercise 2: do it", ["# Exercise 2: do it", "# more"]),
        ("# TODO: do it", ["# TODO: do it", "# more"]),
        ("# the answer is 42", []),  # an ordinary comment may give the answer away
    ],
)
def test_task_statement(first_line, kept):
    assert notebooks.task_statement(f"{first_line}\n# more\n\nanswer = 42\n# hint") == kept


def test_check_names_drifted_files_and_the_fix(tmp_path, capsys):
    (tmp_path / "notebooks" / "src").mkdir(parents=True)
    (tmp_path / "notebooks" / "src" / "99_tiny.py").write_text(TINY)
    assert notebooks.main(["--check"], root=tmp_path) == 1
    assert "notebooks/99_tiny.ipynb is missing" in capsys.readouterr().err

    assert notebooks.main([], root=tmp_path) == 0
    assert notebooks.main(["--check"], root=tmp_path) == 0
    written = (tmp_path / "solutions" / "99_tiny.ipynb").read_bytes()
    assert notebooks.main([], root=tmp_path) == 0
    assert (tmp_path / "solutions" / "99_tiny.ipynb").read_bytes() == written  # byte-identical

    (tmp_path / "notebooks" / "99_tiny.ipynb").write_text("{}")
    (tmp_path / "solutions" / "98_gone.ipynb").write_text("{}")
    capsys.readouterr()
    assert notebooks.main(["--check"], root=tmp_path) == 1
    err = capsys.readouterr().err
    assert "notebooks/99_tiny.ipynb differs from its source" in err
    assert "solutions/98_gone.ipynb has no source" in err
    assert notebooks.COMMAND in err


EXERCISE = re.compile(r"^# Exercise (\d+)")
ANSWER = re.compile(r"""answer\(\s*["'](\w+)["']""")


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_every_lesson_has_three_checked_exercises_with_hints(source):
    """Each lesson ends with at least three exercises: a task (naming the variables its check
    reads), a hint the learner can reveal, the answer (left out of the learner version) and a
    check that says what is wrong (workshop.exercise), not a bare assert."""
    parsed = notebooks.parse(source.read_text(encoding="utf-8"))
    cells = parsed.cells
    tags = [c.metadata.get("tags", []) for c in cells]
    solutions = [
        i
        for i, (c, t) in enumerate(zip(cells, tags, strict=True))
        if "solution" in t and c.cell_type == "code"
    ]
    numbered = {int(m.group(1)) for i in solutions if (m := EXERCISE.match(cells[i].source))}
    assert len(numbered) >= 3, f"{source.name}: {len(numbered)} exercises; a lesson has at least 3"
    assert all(notebooks.task_statement(cells[i].source) for i in solutions), "state each task"
    learner = {c.id: c for c in notebooks.build(parsed, "learner", source.name).cells}
    for i in solutions:
        assert learner[f"cell-{i:03d}"].source == "\n".join(
            [*notebooks.task_statement(cells[i].source), notebooks.PLACEHOLDER]
        )
        statement = next(c for c in reversed(cells[:i]) if c.cell_type == "markdown")
        assert "<details>" in statement.source and "Hint" in statement.source, f"a hint before cell {i}"
        check = next((c for c, t in zip(cells[i + 1 :], tags[i + 1 :], strict=True) if "check" in t), None)
        assert check is not None, f"cell {i}: no check cell after the answer"
        assert not [n for n in ast.walk(ast.parse(check.source)) if isinstance(n, ast.Assert)], (
            "no bare assert"
        )
        assert "workshop.exercise" in check.source and "check(" in check.source, check.source
        read = set(ANSWER.findall(check.source))
        assigned = names(cells[i].source, ast.Store)
        task = statement.source + "\n".join(notebooks.task_statement(cells[i].source))
        for name in read & assigned:
            assert f"`{name}`" in task, f"the task names `{name}`, which its check reads"
    checks = [c for c, t in zip(cells, tags, strict=True) if "check" in t]
    answers = set().union(*(names(cells[i].source, ast.Store) for i in solutions))
    for check in checks:  # unsolved, every check fails: it reads an answer only a solution makes
        assert set(ANSWER.findall(check.source)) & answers, check.source
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown"]
    assert headings[-1] == "## Key points", "end with the key points"
    assert any("## Exercises" in c.source.splitlines() for c in cells[: solutions[0]])


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_every_lesson_is_one_idea_of_readable_size(source):
    lines = len(source.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{source.name} has {lines} lines: split it into lessons of one idea"


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_every_lesson_opens_the_same_way(source):
    """Title with the lesson's number, what you will learn, what it needs, the minutes, then one
    Setup cell."""
    cells = notebooks.parse(source.read_text(encoding="utf-8")).cells
    intro, setup, setup_code, after = cells[:4]
    assert intro.cell_type == "markdown"
    assert intro.source.startswith(f"# {source.name[:2]} · ")
    for part in ("**What you will learn**", "**Prerequisites:**", "**Teaching:**", "**Exercises:**"):
        assert part in intro.source, f"the introduction should state {part}"
    assert setup.cell_type == "markdown" and setup.source.splitlines()[0] == "## Setup"
    assert setup_code.cell_type == "code", "the Setup heading is followed by its code cell"
    assert after.cell_type == "markdown", "one Setup cell: put later code under its own heading"
