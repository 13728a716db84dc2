"""GET /health and the index."""


def test_health_ok(client, model_dir):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["checks"] == {"model": "ok", "storage": "ok"}
    assert len(body["model_id"]) == 12


def test_health_reports_a_missing_table(app, client, aws_env):
    app.extensions["car_store"].table_name = "no-such-table"
    app.extensions["car_store"]._table = None
    response = client.get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"] == {"model": "ok", "storage": "unavailable"}
    assert "no-such-table" in body["message"]


def test_index_links(client):
    links = client.get("/").get_json()["links"]
    assert links == {"health": "/health", "cars": "/cars", "predict": "/predict", "openapi": "/openapi.json"}
    for name, url in links.items():
        if name != "predict":  # POST only
            assert client.get(url).status_code == 200


def test_empty_path_is_the_root_not_a_redirect(client):
    """serverless-offline sends event.path = "" for "/" (its issue 1832)."""
    response = client.get("/", environ_overrides={"PATH_INFO": ""})
    assert response.status_code == 200
    assert response.get_json()["links"]["cars"] == "/cars"


def test_http_api_default_stage_is_not_a_path_prefix(client):
    """serverless-wsgi mounts HTTP API (v2) apps at "/$default"; that stage has no prefix."""
    response = client.get("/", environ_overrides={"SCRIPT_NAME": "/$default"})
    assert response.get_json()["links"]["cars"] == "/cars"


def test_a_jobs_only_deployment_is_healthy_without_a_car_model_or_table(smartcat):
    """solutions/smartcat mounts the jobs API alone: /health checks what it has, and only that."""
    from workshop_app import create_app

    app = create_app({"TESTING": True, **smartcat, "FEATURES": "jobs", "MODEL_URI": "/nowhere"})
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"jobs_storage": "ok"}}


def test_the_jobs_api_reports_a_missing_jobs_table(smartcat):
    from workshop_app import create_app

    app = create_app({"TESTING": True, **smartcat, "FEATURES": "jobs", "JOBS_TABLE": "no-such-jobs"})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"jobs_storage": "unavailable"}
    assert "no-such-jobs" in response.get_json()["message"]
