"""README.md and docs/instructor.md say what the code and the results files say: their generated
parts are up to date (lessons from notebooks/src/, numbers from bench/*.json), every lesson is
listed, every `make` target they name exists, and the API's answers they show are the app's."""

import json
import re
import shlex

import pytest

from workshop import ROOT, notebooks, readme
from workshop_app import create_app

README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTRUCTOR = (ROOT / "docs" / "instructor.md").read_text(encoding="utf-8")


def test_generated_parts_are_up_to_date():
    assert readme.main(["--check"]) == 0, "run `python -m workshop.readme`"


def test_render_rejects_an_unknown_block():
    with pytest.raises(ValueError, match="'nonsense' is unknown"):
        readme.render("<!-- generated: nonsense -->\n<!-- end generated: nonsense -->")


def test_a_stale_block_is_found():
    stale = README.replace("| [`01_explore_cars`]", "| [`01_explore_the_cars`]", 1)
    assert stale != README and readme.render(stale) == README


def test_every_lesson_is_in_the_readme_and_the_schedule():
    names = [source.stem for source in notebooks.sources()]
    assert len(names) >= 10
    for name in names:
        assert f"(notebooks/{name}.ipynb)" in README, f"{name} is missing from README's lessons"
        assert f"| `{name}` |" in INSTRUCTOR, f"{name} is missing from the instructor's schedule"
    lessons = re.findall(r"\(notebooks/(\d\d_\w+)\.ipynb\)", README)
    assert set(lessons) == set(names), "README lists a lesson notebooks/src/ does not have"


def test_every_make_target_named_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))
    named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", README + INSTRUCTOR))
    assert named, "no make target named?"
    assert named - targets == set(), "named in the docs, not in the Makefile"


def curl_examples(text: str) -> list[tuple[list[str], str]]:
    """Each `$ curl ...` of the console blocks (continuation lines joined, split as a shell
    would) with the answer printed below it."""
    found, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("$ curl "):
            continue
        command, j = line, i
        while command.endswith("\\") or command.count("'") % 2:  # continued, or a quote open
            j += 1
            command = command.removesuffix("\\") + "\n" + lines[j]
        answer = []
        for following in lines[j + 1 :]:
            if following.startswith(("$ ", "```")):
                break
            answer.append(following)
        found.append((shlex.split(command[2:]), "\n".join(answer)))
    return found


def test_the_predictions_shown_are_the_apps(model_dir):
    client = create_app({"TESTING": True, "MODEL_URI": str(model_dir)}).test_client()
    checked = 0
    for argv, shown in curl_examples(README):
        # An answer abbreviated with "..." is shown for its shape; a wrong key is API Gateway's.
        if not argv[2].endswith("/predict") or "..." in shown or "x-api-key: wrong" in argv:
            continue
        body = json.loads(argv[argv.index("-d") + 1])
        assert client.post("/predict", json=body).get_json() == json.loads(shown), argv
        checked += 1
    assert checked >= 2, "README's /predict examples are not where this test looks"


def test_the_model_id_and_stored_prediction_shown_are_the_models(model_dir, car):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    shown = set(re.findall(r'"model_id": "([0-9a-f]{12})"', README))
    assert shown == {manifest["model_id"]}, "README shows a model_id the trained model does not have"
    stored = re.search(r'"name": "datsun 510", "predicted_mpg": ([\d.]+)', README)
    client = create_app({"TESTING": True, "MODEL_URI": str(model_dir)}).test_client()
    answer = client.post("/predict", json={**car, "horsepower": None}).get_json()
    assert float(stored.group(1)) == answer["predicted_mpg"]
