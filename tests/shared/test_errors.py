"""Every error from every app is problem+json."""

import pytest
from flask import Blueprint

from services import SERVICES

PREFIXES = [info.prefix for info in SERVICES]


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    assert "type" in body
    return body


@pytest.mark.parametrize("prefix", [*PREFIXES, ""])
def test_404_is_a_problem(client, prefix):
    assert_problem(client.get(f"{prefix}/no-such-page"), 404)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_405_is_a_problem(client, prefix):
    body = assert_problem(client.delete(f"{prefix}/healthz"), 405)
    assert body["title"] == "Method Not Allowed"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_401_and_403_are_problems(client, admin_headers, prefix):
    assert_problem(client.get(f"{prefix}/api/v1/ops/outbox"), 401)
    assert_problem(client.get(f"{prefix}/api/v1/ops/outbox", headers={"Authorization": "Bearer nope"}), 401)
    assert_problem(client.get(f"{prefix}/api/v1/ops/outbox", headers=admin_headers("editor")), 403)
    ok = client.get(f"{prefix}/api/v1/ops/outbox", headers=admin_headers("coordinator"))
    assert ok.status_code == 200
    assert set(ok.get_json()) >= {"pending", "relayed", "acknowledged", "jobs_due"}


@pytest.mark.fresh_apps
def test_unexpected_exception_is_a_500_problem_without_a_stack_trace(apps, client):
    app = apps["events"]
    blueprint = Blueprint("boom", __name__)

    @blueprint.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(blueprint)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/events/boom")
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert body["detail"]


@pytest.mark.fresh_apps
def test_422_names_the_field(apps, client):
    import marshmallow as ma
    from flask.views import MethodView
    from flask_smorest import Blueprint as ApiBlueprint

    from shared.schemas import BodySchema

    class Thing(BodySchema):
        email = ma.fields.Email(required=True)

    blueprint = ApiBlueprint("things", __name__, url_prefix="/api/v1/things")

    @blueprint.route("")
    class Things(MethodView):
        @blueprint.arguments(Thing)
        @blueprint.response(201, Thing)
        def post(self, data):
            return data

    apps["mailer"].extensions["elo_api"].register_blueprint(blueprint)
    body = assert_problem(client.post("/mailer/api/v1/things", json={"email": "nope", "extra": 1}), 422)
    assert set(body["errors"]) == {"email", "extra"}
    assert "email" in body["detail"]
    assert client.post("/mailer/api/v1/things", json={"email": "a@example.org"}).status_code == 201


def test_a_browser_gets_an_error_page_in_its_language(client):
    response = client.get("/events/nope", headers={"Accept": "text/html", "Accept-Language": "sv"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Sidan hittades inte" in response.get_data(as_text=True)
