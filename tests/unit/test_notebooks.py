"""The notebooks: generated files match their sources, and the generator does what it promises.

Running the notebooks themselves is nbval's job: `pytest --nbval-lax notebooks/*.ipynb
solutions/*.ipynb`.
"""

import ast
import json

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


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_every_lesson_has_exercises_that_the_learner_must_solve(source):
    """Each lesson ends with graded exercises, and its learner version gives no answer away."""
    parsed = notebooks.parse(source.read_text(encoding="utf-8"))
    tags = [c.metadata.get("tags", []) for c in parsed.cells]
    solutions = [
        c for c, t in zip(parsed.cells, tags, strict=True) if "solution" in t and c.cell_type == "code"
    ]
    checks = [c for c, t in zip(parsed.cells, tags, strict=True) if "check" in t]
    assert solutions and checks
    assert all(notebooks.task_statement(c.source) for c in solutions), "state each task"
    learner = {c.id: c for c in notebooks.build(parsed, "learner", source.name).cells}
    for cell in solutions:
        index = parsed.cells.index(cell)
        assert learner[f"cell-{index:03d}"].source == "\n".join(
            [*notebooks.task_statement(cell.source), notebooks.PLACEHOLDER]
        )
    headings = [c.source.splitlines()[0] for c in parsed.cells if c.cell_type == "markdown"]
    assert headings[-1] == "## Key points", "end with the key points"
    before_exercises = parsed.cells[: parsed.cells.index(solutions[0])]
    assert any("## Exercises" in c.source.splitlines() for c in before_exercises)

    # Each check reads an answer that only a solution assigns: unsolved, it must fail.
    code = [(c, t) for c, t in zip(parsed.cells, tags, strict=True) if c.cell_type == "code"]
    answers = set().union(*(names(c.source, ast.Store) for c in solutions))
    given = set().union(*(names(c.source, ast.Store) for c, t in code if "solution" not in t))
    for check in checks:
        assert names(check.source, ast.Load) & (answers - given), check.source


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.stem)
def test_every_lesson_opens_the_same_way(source):
    """Title with the lesson's number, what you will learn, the minutes, then one Setup cell."""
    cells = notebooks.parse(source.read_text(encoding="utf-8")).cells
    intro, setup, setup_code, after = cells[:4]
    assert intro.cell_type == "markdown"
    assert intro.source.startswith(f"# {source.name[:2]} · ")
    for part in ("**What you will learn**", "**Teaching:**", "**Exercises:**"):
        assert part in intro.source, f"the introduction should state {part}"
    assert setup.cell_type == "markdown" and setup.source.splitlines()[0] == "## Setup"
    assert setup_code.cell_type == "code", "the Setup heading is followed by its code cell"
    assert after.cell_type == "markdown", "one Setup cell: put later code under its own heading"
