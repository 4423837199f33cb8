"""The API's contract beyond any one endpoint: problem JSON for every error, 401 (not 403) for
anonymous callers, the write scope of tokens, pagination that refuses nonsense, rates per client
and per user, the body size limit, and an OpenAPI document that generates without a warning.

Some tests run against small views of their own (``urlpatterns`` below, with the project's URLs
behind them) so each rule is checked apart from any endpoint's own logic.
"""

import io
import json
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.http import HttpRequest, JsonResponse
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from rocketship.api_middleware import ApiBodyLimitMiddleware, RequestBodyTooLarge
from students.api.permissions import CanWrite
from students.api.throttling import PrincipalRateThrottle, parse_rate
from students.clients import api_client_create, api_token_issue
from students.models import ApiClient

from .conftest import client_for
from .factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


# --- views of this module's own (``@pytest.mark.urls(__name__)``) -------------------------------
class EchoView(APIView):
    permission_classes = [IsAuthenticated, CanWrite]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"received": len(json.dumps(request.data))})


class RoomyEchoView(EchoView):
    max_body_bytes = 4096


class OpenView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError("a bug")


@require_GET
def plain_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/v1/test/echo/", EchoView.as_view()),
    path("api/v1/test/roomy/", RoomyEchoView.as_view()),
    path("api/v1/test/open/", OpenView.as_view()),
    path("api/v1/test/boom/", BoomView.as_view()),
    path("api/v1/test/plain/", plain_view),
    path("boom/", BoomView.as_view()),
    path("", include("rocketship.urls")),
]
handler400 = "rocketship.api_errors.handler400"
handler403 = "rocketship.api_errors.handler403"
handler404 = "rocketship.api_errors.handler404"
handler500 = "rocketship.api_errors.handler500"
own_views = pytest.mark.urls(__name__)


# --- helpers ------------------------------------------------------------------------------------
def token_api(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def issue(school_world: Any, *, can_write: bool, name: str = "Sync") -> str:
    client = api_client_create(
        network=school_world.school.network,
        name=name,
        schools=[school_world.school],
        can_write=can_write,
        by=None,
    )
    return api_token_issue(client=client)[1]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status and isinstance(body["errors"], dict)
    return body


def api_operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path_, method.upper(), operation)
        for path_, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def concrete(path_: str, operation: dict[str, Any], **known: int) -> str:
    """The path with a plausible value for each parameter (``known`` ones as given)."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        schema = parameter["schema"]
        if parameter["name"] in known:
            value = str(known[parameter["name"]])
        elif schema.get("type") == "integer":
            value = "999999"
        elif schema.get("format") == "date" or "date" in parameter["name"]:
            value = "2025-01-06"
        else:
            value = "x"
        path_ = path_.replace("{" + parameter["name"] + "}", value)
    return path_


def needs_credentials(operation: dict[str, Any]) -> bool:
    security = operation.get("security", [])
    return bool(security) and {} not in security


# --- 401 for anonymous callers, 403 for read-only tokens writing ----------------------------------
def test_every_api_operation_answers_an_anonymous_caller_401_with_the_token_challenge():
    operations = [op for op in api_operations() if needs_credentials(op[2])]
    assert len(operations) >= 10  # the whole API, not an empty list that passes by itself
    for path_, method, operation in operations:
        response = Client().generic(method, concrete(path_, operation))
        assert_problem(response, 401)
        assert response["WWW-Authenticate"] == "Token", (method, path_)


def test_every_write_operation_refuses_a_read_only_token_with_403(school_a):
    key = issue(school_a, can_write=False)
    writes = [op for op in api_operations() if op[1] in {"POST", "PUT", "PATCH", "DELETE"}]
    assert writes, "the API has write endpoints (build, progress)"
    for path_, method, operation in writes:
        # The token's own school and network: scope comes before the grant, so another
        # school's (or network's) ids would answer 404 whatever the token's grant.
        url = concrete(
            path_, operation, school_id=school_a.school.pk, network_id=school_a.school.network_id
        )
        response = token_api(key).generic(method, url, "{}", content_type="application/json")
        body = assert_problem(response, 403)
        assert "read-only" in body["detail"], (method, path_)


@own_views
def test_a_write_token_and_a_signed_in_user_pass_the_write_scope(school_a):
    read_only, writer = issue(school_a, can_write=False), issue(school_a, can_write=True, name="W")

    assert token_api(read_only).get("/api/v1/test/echo/").status_code == 200
    assert_problem(token_api(read_only).post("/api/v1/test/echo/", {"a": 1}, format="json"), 403)
    assert token_api(writer).post("/api/v1/test/echo/", {"a": 1}, format="json").json() == {
        "received": 8
    }
    session = client_for(school_a.teacher.user)  # views that write check leadership themselves
    response = session.post("/api/v1/test/echo/", {"a": 1}, content_type="application/json")
    assert response.status_code == 200


@own_views
def test_a_bad_token_answers_401_and_a_signed_in_user_is_never_challenged(school_a):
    response = token_api("rs_abc_def").get("/api/v1/test/echo/")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert client_for(school_a.teacher.user).get("/api/v1/test/echo/").status_code == 200


# --- problem JSON for every error ---------------------------------------------------------------
def test_an_unknown_api_url_is_a_problem_and_an_unknown_page_is_the_html_page(school_a):
    for url in ("/api/v1/no-such-thing/", "/api/nothing", "/api/v1/schools/1/nothing/"):
        assert_problem(Client().get(url), 404)
    page = client_for(school_a.teacher.user).get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert b"Not found" in page.content


def test_another_schools_id_is_a_404_problem_for_a_token(school_a, school_b):
    key = issue(school_a, can_write=False)
    body = assert_problem(token_api(key).get(f"/api/v1/schools/{school_b.school.pk}/"), 404)
    assert str(school_b.school.name) not in json.dumps(body)


def test_a_method_the_endpoint_lacks_is_a_405_problem_with_allow(school_a):
    key = issue(school_a, can_write=True)
    response = token_api(key).delete("/api/v1/schools/")
    assert_problem(response, 405)
    assert "GET" in response["Allow"]


@own_views
def test_an_unsupported_media_type_is_a_415_problem(school_a):
    key = issue(school_a, can_write=True)
    response = token_api(key).post("/api/v1/test/echo/", "a=1", content_type="text/plain")
    assert_problem(response, 415)


@own_views
def test_malformed_json_is_a_400_problem(school_a):
    key = issue(school_a, can_write=True)
    response = token_api(key).post("/api/v1/test/echo/", "{nope", content_type="application/json")
    assert_problem(response, 400)


@own_views
def test_a_plain_django_views_405_under_api_becomes_a_problem_too():
    response = Client().post("/api/v1/test/plain/")
    assert_problem(response, 405)
    assert response["Allow"] == "GET"


@own_views
def test_a_crash_under_api_is_a_500_problem_that_tells_nothing_and_elsewhere_the_html_page():
    client = Client(raise_request_exception=False)
    body = assert_problem(client.get("/api/v1/test/boom/"), 500)
    assert "a bug" not in json.dumps(body)
    page = client.get("/boom/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert b"Something went wrong" in page.content


def test_a_validation_error_on_a_bulk_list_is_keyed_by_item_index():
    from rest_framework.exceptions import ValidationError

    from rocketship.api_errors import problem_exception_handler

    response = problem_exception_handler(ValidationError([{}, {"minutes": ["Required."]}, {}]), {})
    assert response.data["errors"] == {"1": {"minutes": ["Required."]}}
    response = problem_exception_handler(ValidationError(["Give at least one record."]), {})
    assert response.data["errors"] == {"non_field_errors": ["Give at least one record."]}


def test_an_error_is_json_even_when_the_client_asks_for_html():
    for headers in ({"HTTP_ACCEPT": "text/html"}, {}):
        response = Client().get("/api/v1/schools/?format=api", **headers)
        assert_problem(response, 401)
    assert_problem(Client().get("/api/v1/schools/", HTTP_ACCEPT="application/xml"), 406)


# --- pagination -----------------------------------------------------------------------------------
def test_pages_follow_page_and_page_size(school_a, school_b, network_admin):
    api = client_for(network_admin)

    first = api.get("/api/v1/schools/?page_size=1").json()
    second = api.get("/api/v1/schools/?page_size=1&page=2").json()

    assert first["count"] == 2 and len(first["results"]) == 1
    assert first["next"].endswith("page=2&page_size=1") or "page=2" in first["next"]
    assert first["previous"] is None
    assert second["next"] is None and second["previous"] is not None
    assert {first["results"][0]["id"], second["results"][0]["id"]} == {
        school_a.school.pk,
        school_b.school.pk,
    }
    assert len(api.get("/api/v1/schools/?page_size=500").json()["results"]) == 2


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page=0", {"page"}),
        ("page=-1", {"page"}),
        ("page=abc", {"page"}),
        ("page=1.5", {"page"}),
        ("page=", {"page"}),
        ("page=last", {"page"}),
        ("page=" + "9" * 40, {"page"}),
        ("page=" + "9" * 4000, {"page"}),
        ("page=3&page_size=1", {"page"}),  # past the last page (2)
        ("page_size=0", {"page_size"}),
        ("page_size=-5", {"page_size"}),
        ("page_size=501", {"page_size"}),
        ("page_size=10000000000000000000000", {"page_size"}),
        ("page_size=ten", {"page_size"}),
        ("page=x&page_size=-1", {"page", "page_size"}),
    ],
)
def test_nonsense_pagination_is_a_400_naming_the_parameter(query, fields, network_admin, school_b):
    body = assert_problem(client_for(network_admin).get(f"/api/v1/schools/?{query}"), 400)
    assert set(body["errors"]) == fields


def test_the_first_page_of_an_empty_list_is_empty_not_an_error(db):
    api = client_for(UserFactory())  # sees no school
    assert api.get("/api/v1/schools/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    assert_problem(api.get("/api/v1/schools/?page=2"), 400)


# --- throttling -----------------------------------------------------------------------------------
@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "3/minute", "user": "2/minute", "anon": "2/minute"},
    }


@pytest.fixture
def frozen_clock(monkeypatch):
    now = {"t": 6_000_015.0}  # 15 s into a minute
    monkeypatch.setattr(PrincipalRateThrottle, "timer", staticmethod(lambda: now["t"]))
    return now


def test_a_clients_tokens_share_one_budget_and_429_says_when_to_retry(
    low_rates, frozen_clock, school_a, school_b
):
    key = issue(school_a, can_write=False)
    second_key = api_token_issue(client=ApiClient.objects.get(name="Sync"))[1]
    other_key = issue(school_b, can_write=False, name="Other")

    assert [token_api(key).get("/api/v1/schools/").status_code for _ in range(2)] == [200, 200]
    assert token_api(second_key).get("/api/v1/schools/").status_code == 200
    refused = token_api(second_key).get("/api/v1/schools/")
    body = assert_problem(refused, 429)
    assert refused["Retry-After"] == "45"
    assert "throttled" in body["detail"].lower()
    assert token_api(other_key).get("/api/v1/schools/").status_code == 200  # its own budget

    frozen_clock["t"] += 45  # the next minute
    assert token_api(key).get("/api/v1/schools/").status_code == 200


def test_a_wrong_secret_for_a_known_token_does_not_spend_its_clients_budget(
    low_rates, frozen_clock, school_a
):
    key = issue(school_a, can_write=False)
    assert token_api(key).get("/api/v1/schools/").status_code == 200  # the process knows it now
    forged = key[: key.rindex("_") + 1] + "x" * 20
    assert [token_api(forged).get("/api/v1/schools/").status_code for _ in range(3)] == [401] * 3
    assert [token_api(key).get("/api/v1/schools/").status_code for _ in range(3)] == [200, 200, 429]


def test_each_signed_in_user_has_their_own_budget(low_rates, frozen_clock, school_a):
    leader, teacher = client_for(school_a.leader.user), client_for(school_a.teacher.user)
    assert [leader.get("/api/v1/schools/").status_code for _ in range(3)] == [200, 200, 429]
    assert teacher.get("/api/v1/schools/").status_code == 200


@own_views
def test_anonymous_callers_are_counted_by_address(low_rates, frozen_clock):
    here, there = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [here.get("/api/v1/test/open/").status_code for _ in range(3)] == [200, 200, 429]
    assert there.get("/api/v1/test/open/").status_code == 200


def test_rates_read_like_drfs():
    assert parse_rate("1200/minute") == (1200, 60)
    assert parse_rate("10/s") == (10, 1)
    assert parse_rate("5/10m") == (5, 600)
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate("many/minute")


# --- body size ------------------------------------------------------------------------------------
@own_views
def test_a_write_over_the_size_limit_is_refused_with_413_before_it_is_read(settings, school_a):
    settings.API_MAX_BODY_BYTES = 100
    key = issue(school_a, can_write=True)
    small, large = {"a": "x" * 50}, {"a": "x" * 200}

    assert token_api(key).post("/api/v1/test/echo/", small, format="json").status_code == 200
    body = assert_problem(token_api(key).post("/api/v1/test/echo/", large, format="json"), 413)
    assert "100 bytes" in body["detail"]
    # A view that takes bigger bodies says so itself.
    assert token_api(key).post("/api/v1/test/roomy/", large, format="json").status_code == 200
    huge = {"a": "x" * 5000}
    assert_problem(token_api(key).post("/api/v1/test/roomy/", huge, format="json"), 413)
    # Anonymous or not: the size is refused before anything else is done.
    assert_problem(APIClient().post("/api/v1/test/echo/", large, format="json"), 413)


def test_a_body_without_content_length_is_cut_off_while_read(settings):
    settings.API_MAX_BODY_BYTES = 100
    middleware = ApiBodyLimitMiddleware(lambda request: JsonResponse({}))

    def chunked(body: bytes) -> HttpRequest:
        request = RequestFactory().post("/api/v1/progress/", body, content_type="application/json")
        del request.META["CONTENT_LENGTH"]
        request._stream = io.BytesIO(body)  # as an ASGI server hands over a chunked body
        assert middleware.process_view(request, EchoView.as_view(), (), {}) is None
        return request

    assert chunked(b"x" * 100).body == b"x" * 100
    request = chunked(b"x" * 101)
    with pytest.raises(RequestBodyTooLarge) as raised:
        request.read()
    response = middleware.process_exception(request, raised.value)
    assert_problem(response, 413)


def test_reads_and_pages_outside_the_api_are_not_limited(settings, school_a):
    settings.API_MAX_BODY_BYTES = 10
    response = Client().post("/accounts/login/", {"username": "x" * 50, "password": "y" * 50})
    assert response.status_code == 200  # the login form, with its error, not a 413


# --- the OpenAPI document -------------------------------------------------------------------------
def test_the_schema_generates_and_validates_without_a_single_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_every_operation_documents_its_error_answers_as_problems():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["securitySchemes"]["Token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["Token"]["description"],
    }
    assert set(schema["components"]["schemas"]["Problem"]["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
    }
    for path_, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path_}"
            if needs_credentials(operation):
                assert {"401", "403", "429"} <= codes, where
                assert {"Token": []} in operation["security"], where
            if "{" in path_:
                assert "404" in codes, where
            if method in {"post", "put", "patch"}:
                assert {"400", "413", "415"} <= codes, where
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    content = response["content"]
                    assert list(content) == [PROBLEM], where
                    assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                        where
                    )
    retry = schema["paths"]["/api/v1/schools/"]["get"]["responses"]["429"]["headers"]
    assert "Retry-After" in retry


def test_the_docs_page_serves_swagger_ui_from_our_own_static_files(settings):
    settings.STATIC_URL = "/static/"
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    # The start-up script comes from its own URL (the CSP allows no inline script).
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200 and "/api/schema/" in script.content.decode()
    assert 'src="/api/docs/?script=' in html


def test_settings_give_a_shared_cache_with_redis_and_local_memory_without(monkeypatch):
    import importlib

    import rocketship.settings as project_settings

    try:
        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
        with_redis = importlib.reload(project_settings).CACHES["default"]
        monkeypatch.delenv("REDIS_URL")
        without = importlib.reload(project_settings).CACHES["default"]
    finally:
        importlib.reload(project_settings)
    assert with_redis["BACKEND"] == "rocketship.cache.ReusedClientRedisCache"
    assert with_redis["LOCATION"] == "redis://127.0.0.1:6390/0"
    assert without["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_redis_cache_reuses_its_client_and_increments_in_one_round_trip():
    import os

    import redis

    from rocketship.cache import ReusedClientRedisCache

    url = os.environ.get("ROCKETSHIP_TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at " + url)
    cache = ReusedClientRedisCache(url, {"KEY_PREFIX": "contract-test"})
    cache.delete_many(["counter", "missing"])
    assert cache._cache.get_client() is cache._cache.get_client(write=True)

    # Django's contract for incr: a missing key raises ValueError and is not created.
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.get("missing") is None
    assert cache.add("counter", 1, timeout=30)
    assert [cache.incr("counter"), cache.incr("counter", 5)] == [2, 7]
    assert 0 < cache._cache.get_client().ttl(cache.make_key("counter")) <= 30  # kept its timeout
    cache.delete("counter")

    # Entries and a window counter in one pipeline: the counter starts expiring and counts on.
    cache.set("entry", {"a": 1}, 30)
    found, count = cache.get_many_and_count(["entry", "missing"], "window", 20)
    assert (found, count) == ({"entry": {"a": 1}}, 1)
    assert cache.get_many_and_count([], "window", 20)[1] == 2
    assert cache.incr("window") == 3 and cache.get("window") == 3  # plain cache calls agree
    assert 0 < cache._cache.get_client().ttl(cache.make_key("window")) <= 20
    cache.delete_many(["entry", "window"])


def test_a_malformed_rate_in_the_environment_stops_start_up(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import rocketship.settings as project_settings

    monkeypatch.setenv("API_RATE_CLIENT", "lots")
    try:
        with pytest.raises(ImproperlyConfigured, match="API_RATE_CLIENT"):
            importlib.reload(project_settings)
    finally:
        monkeypatch.delenv("API_RATE_CLIENT")
        importlib.reload(project_settings)
