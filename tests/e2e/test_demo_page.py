"""The demo page at `/`: what the app serves, and the page driven in Chromium end to end against
the local stack (`make serve`'s moto server and Flask app, over real HTTP)."""

import re
import uuid

import pytest
import requests
from helpers.browser import browser, screenshot_dir, watch  # noqa: F401 (browser is a fixture)

from workshop.local_aws import free_port
from workshop.stack import LocalStack
from workshop_app import create_app
from workshop_app.car_schema import FEATURES, example_car

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


# ---- what the app serves ---------------------------------------------------------------------


@pytest.fixture
def plain_client():
    """A test client without the OpenAPI check (which knows JSON bodies only)."""
    return create_app({"TESTING": True}).test_client()


def test_a_browser_gets_the_page_and_an_api_client_the_links(client, plain_client):
    for accept in (None, "*/*", "application/json", "application/json;q=1, text/html;q=0.5"):
        response = client.get("/", headers={"Accept": accept} if accept else {})
        assert response.mimetype == "application/json", accept
        assert response.get_json()["links"]["cars"] == "/cars"
        assert response.headers["Vary"] == "Accept"
    for accept in (BROWSER_ACCEPT, "text/html"):
        response = plain_client.get("/", headers={"Accept": accept})
        assert response.status_code == 200 and response.mimetype == "text/html", accept
        assert response.headers["Vary"] == "Accept"
        assert "<h1>Serverless ML workshop</h1>" in response.get_data(as_text=True)


def page_html(client, **environ) -> str:
    return client.get("/", headers={"Accept": "text/html"}, environ_overrides=environ).get_data(as_text=True)


def test_the_car_form_is_built_from_the_car_schema(plain_client):
    html = page_html(plain_client)
    for field in FEATURES:
        tag = re.search(rf'<(input|select) id="car-{field.name}"[^>]*>', html, re.S)
        assert tag, field.name
        assert re.search(rf'<label for="car-{field.name}">{field.name}\b', html)
        if field.choices:
            assert re.findall(
                r"<option[^>]*>(\w+)</option>", html[tag.end() : html.index("</select>", tag.end())]
            ) == list(field.choices)
        else:
            assert f'min="{field.minimum}" max="{field.maximum}"' in tag.group(0)
            assert ("required" in tag.group(0)) is not field.nullable


def test_the_page_calls_the_api_under_the_stage_prefix(plain_client):
    """Behind API Gateway the app lives under /<stage>/ (serverless-wsgi sets SCRIPT_NAME)."""
    assert 'data-base="/"' in page_html(plain_client)
    html = page_html(plain_client, SCRIPT_NAME="/dev")
    assert 'data-base="/dev/"' in html and 'href="/dev/openapi.json"' in html


def test_the_upload_form_appears_with_the_jobs_api():
    app = create_app({"TESTING": True})
    has_jobs = any(rule.rule == "/jobs" for rule in app.url_map.iter_rules())
    html = page_html(app.test_client())
    assert ('id="job-form"' in html) is has_jobs
    assert ('id="jobs-missing"' in html) is not has_jobs
    if not has_jobs:
        app = create_app({"TESTING": True})
        app.add_url_rule("/jobs", "jobs_stand_in", lambda: "", methods=["POST"])
        html = page_html(app.test_client())
        assert 'id="job-form"' in html and 'id="jobs-missing"' not in html


# ---- in the browser, against the local stack -------------------------------------------------


@pytest.fixture(scope="module")
def stack(model_dir):
    """moto + the Flask app on free ports, as `make serve` starts them."""
    with LocalStack(free_port(), free_port(), model_dir=model_dir, quiet=True) as local:
        yield local


@pytest.fixture
def demo(browser, stack):  # noqa: F811
    """The demo page, open, with what it reports watched (see assert_clean)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.watched = watch(page)
    page.goto(stack.url + "/")
    page.wait_for_selector("#cars:not([aria-busy])")  # the first page of cars has loaded
    yield page
    page.close()


def assert_clean(page, allow_status: tuple[int, ...] = ()) -> None:
    """No console error, page error or failed request, and no error status but those expected."""
    problems = page.watched.problems(allow_status)
    assert not problems, problems


def api_cars(stack) -> list[dict]:
    cars, token = [], None
    while True:
        params = {"limit": 100, **({"next_token": token} if token else {})}
        body = requests.get(f"{stack.url}/cars", params=params, timeout=30).json()
        cars += body["cars"]
        token = body["next_token"]
        if not token:
            return cars


def shown_mpg(text: str) -> float:
    return float(re.search(r"([0-9]+\.[0-9]) mpg", text).group(1))


def test_demo_page_predicts_adds_lists_and_deletes_a_car(demo, stack):
    name = f"demo car {uuid.uuid4().hex[:8]}"
    demo.get_by_label("name").fill(name)
    demo.get_by_label("weight").fill("2600")
    body = {**example_car(), "name": name, "weight": 2600.0}
    expected = requests.post(f"{stack.url}/predict", json=body, timeout=30).json()

    demo.get_by_role("button", name="Predict mpg").click()
    result = demo.locator("#car-result")
    result.filter(has_text="Predicted:").wait_for()
    assert abs(shown_mpg(result.inner_text()) - expected["predicted_mpg"]) <= 0.05
    assert expected["model_id"] in result.inner_text()

    demo.get_by_role("button", name="Add to the collection").click()
    result.filter(has_text=f"Added {name}").wait_for()
    stored = [car for car in api_cars(stack) if car["name"] == name]
    assert len(stored) == 1 and stored[0]["weight"] == 2600.0
    row = demo.locator(f'#cars tr[data-carid="{stored[0]["carid"]}"]')
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == name and cells[1:3] == ["1971", "Japan"]
    assert abs(float(cells[6]) - stored[0]["predicted_mpg"]) <= 0.05

    demo.get_by_role("button", name=f"Delete {name}").click()
    row.wait_for(state="detached")
    result.filter(has_text=f"Deleted {name}").wait_for()
    assert requests.get(f"{stack.url}/cars/{stored[0]['carid']}", timeout=30).status_code == 404
    assert_clean(demo)


def test_demo_page_shows_the_apis_error_message(demo):
    demo.get_by_label("weight").fill("")
    demo.get_by_label("cylinders").fill("99")
    demo.get_by_role("button", name="Predict mpg").click()
    alert = demo.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert text.startswith("validation_error: ")
    assert "missing field 'weight'" in text and "'cylinders' must be between 2 and 16" in text
    # The next successful action clears it.
    demo.get_by_label("weight").fill("2130")
    demo.get_by_label("cylinders").fill("4")
    demo.get_by_role("button", name="Predict mpg").click()
    demo.locator("#car-result").filter(has_text="Predicted:").wait_for()
    assert demo.get_by_role("alert").count() == 0
    assert_clean(demo, allow_status=(422,))


def test_demo_page_pages_through_the_collection(demo, stack):
    for n in range(7):
        created = requests.post(f"{stack.url}/cars", json={**example_car(), "name": f"paged {n}"}, timeout=30)
        assert created.status_code == 201
    expected = {car["carid"] for car in api_cars(stack)}
    demo.get_by_label("cars per page").select_option("5")
    seen = []
    demo.wait_for_function("() => document.querySelectorAll('#cars tbody tr').length === 5")
    next_page = demo.get_by_role("button", name="Next page")
    while True:
        rows = demo.locator("#cars tbody tr")
        ids = [rows.nth(i).get_attribute("data-carid") for i in range(rows.count())]
        assert len(ids) <= 5
        assert ids or next_page.is_disabled(), "an empty page that is not the last"
        seen += ids
        if next_page.is_disabled():
            break
        next_page.click()
        demo.wait_for_function(
            "first => document.querySelector('#cars tbody tr')?.dataset.carid !== first", arg=ids[0]
        )
        demo.wait_for_function("() => !document.querySelector('#next-page').hasAttribute('aria-busy')")
    assert sorted(seen) == sorted(expected)  # every car once, none twice
    for car in api_cars(stack):
        if car["name"].startswith("paged "):
            requests.delete(f"{stack.url}/cars/{car['carid']}", timeout=30)
    assert_clean(demo)


def test_demo_page_keeps_the_api_key_and_sends_it(demo, stack):
    key_field = demo.get_by_label("x-api-key")
    key_field.fill("my-workshop-key")
    demo.reload()
    demo.wait_for_selector("#cars:not([aria-busy])")
    assert key_field.input_value() == "my-workshop-key"
    with demo.expect_request(lambda r: r.url.endswith("/predict")) as sent:
        demo.get_by_role("button", name="Predict mpg").click()
    assert sent.value.headers["x-api-key"] == "my-workshop-key"
    # The answer is shown before the reload: a reload with /predict in flight aborts it.
    demo.locator("#car-result").filter(has_text="Predicted:").wait_for()
    demo.get_by_role("button", name="Forget the key").click()
    demo.reload()
    demo.wait_for_selector("#cars:not([aria-busy])")
    assert key_field.input_value() == ""
    with demo.expect_request(lambda r: r.url.endswith("/predict")) as sent:
        demo.get_by_role("button", name="Predict mpg").click()
    assert "x-api-key" not in sent.value.headers
    demo.locator("#car-result").filter(has_text="Predicted:").wait_for()
    assert_clean(demo)


def test_demo_page_is_usable_by_keyboard_and_labelled(demo):
    unlabelled = demo.evaluate("""() => [...document.querySelectorAll('input, select, button')]
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
        .map((el) => el.outerHTML)""")
    assert unlabelled == []
    demo.get_by_label("acceleration").focus()
    demo.keyboard.press("Enter")  # submits the form: predicts
    demo.locator("#car-result").filter(has_text="Predicted:").wait_for()
    demo.screenshot(path=screenshot_dir("demo-page") / "predicted.png", full_page=True)
    assert_clean(demo)


# ---- SmartCat jobs: enabled once workshop_app.jobs exists ------------------------------------


def smartcat_pdf(tmp_path):
    """A customer's file from the corpus generator: a payslip, then a scanned bank statement."""
    from helpers.pdfs import bundle, document, page_count

    data = bundle(document("payslip"), document("bank_statement", scanned=True))
    path = tmp_path / "unterlagen.pdf"
    path.write_bytes(data)
    return path, page_count(data)


def test_demo_page_labels_an_uploaded_pdf(demo, stack, tmp_path):
    """Upload a PDF, follow the job (202, then 200s, then 303 to the output), see the labels."""
    pytest.importorskip("workshop_app.jobs", reason="the SmartCat jobs API is not in the app yet")
    path, pages = smartcat_pdf(tmp_path)
    with demo.expect_response(lambda r: r.url.endswith("/jobs") and r.request.method == "POST") as posted:
        demo.get_by_label(re.compile("^A PDF")).set_input_files(str(path))
        demo.get_by_role("button", name="Upload and classify").click()
    if posted.value.status != 202:  # the page shows the API's message: make it the failure's
        pytest.fail(f"POST /jobs answered {posted.value.status}: {demo.get_by_role('alert').inner_text()}")
    # From the Location header: the body may be gone from the browser's cache by now.
    assert posted.value.status == 202
    job_id = posted.value.headers["location"].rsplit("/", 1)[-1]
    assert posted.value.headers["location"].endswith(f"/jobs/{job_id}")
    demo.locator("#pages").wait_for(state="visible", timeout=180_000)
    output = requests.get(f"{stack.url}/jobs/{job_id}/output", timeout=30).json()
    assert len(output["pages"]) == pages
    rows = demo.locator("#pages tbody tr")
    assert rows.count() == pages
    for i, page in enumerate(output["pages"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells == [
            str(page["page"]),
            page["label"],
            f"{round(page['confidence'] * 100)} %",
            "OCR" if page["method"] == "ocr" else "text layer",
        ]
    assert {page["method"] for page in output["pages"]} == {"text", "ocr"}
    assert demo.locator("#job-status").inner_text().endswith(f"done, {pages} pages labelled")
    demo.screenshot(path=screenshot_dir("demo-page-jobs") / "labelled.png", full_page=True)
    assert_clean(demo)
