"""API clients' tokens: shown once, stored hashed, scoped to the client's schools, revocable."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from students.clients import (
    api_client_create,
    api_client_revoke,
    api_token_issue,
    api_token_revoke,
    principal_cache_key,
)
from students.errors import DomainError
from students.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def alder_client(school_a):
    return api_client_create(
        network=school_a.school.network,
        name="Hall display",
        schools=[school_a.school],
        can_write=False,
        by=school_a.leader.user,
    )


def test_a_token_reads_only_its_clients_schools(alder_client, school_a, school_b):
    _, key = api_token_issue(client=alder_client)
    api = token_client(key)

    listed = api.get("/api/v1/schools/").json()
    assert [s["id"] for s in listed["results"]] == [school_a.school.pk]
    assert api.get(f"/api/v1/schools/{school_b.school.pk}/").status_code == 404
    assert api.get(f"/api/v1/students/{school_b.student.pk}/").status_code == 404


def test_the_key_is_shown_once_and_stored_only_as_a_hash(alder_client):
    token, key = api_token_issue(client=alder_client)
    secret = key.rsplit("_", 1)[1]
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in stored.key_hash and len(stored.key_hash) == 64
    assert key.startswith(f"rs_{stored.prefix}_")


def test_a_revoked_client_or_a_wrong_secret_answers_401_as_a_problem(alder_client):
    _, key = api_token_issue(client=alder_client)
    wrong = key[:-2] + ("AA" if not key.endswith("AA") else "BB")

    for bad in (wrong, "rs_nothing_here", "not-a-token"):
        response = token_client(bad).get("/api/v1/schools/")
        assert response.status_code == 401, bad
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 401

    api_client_revoke(client=alder_client)
    assert token_client(key).get("/api/v1/schools/").status_code == 401


def test_a_tokens_reads_of_student_records_are_audited_under_its_client(alder_client, school_a):
    _, key = api_token_issue(client=alder_client)
    assert token_client(key).get(f"/api/v1/students/{school_a.student.pk}/").status_code == 200
    event = AuditEvent.objects.get(object_id=str(school_a.student.pk))
    assert event.username == f"api-client:{alder_client.pk}" and event.user_id is None


def test_a_client_cannot_be_registered_for_another_networks_school(school_a, school_other_network):
    with pytest.raises(DomainError, match="is not a school of"):
        api_client_create(
            network=school_a.school.network,
            name="Sync",
            schools=[school_other_network.school],
            can_write=True,
            by=None,
        )


def test_revoking_stops_a_token_at_once_though_its_principal_was_cached(alder_client):
    token, key = api_token_issue(client=alder_client)
    _, other_key = api_token_issue(client=alder_client)
    for cached_key in (key, other_key):
        assert token_client(cached_key).get("/api/v1/schools/").status_code == 200
    assert cache.get(principal_cache_key(token.prefix)) is not None
    # The cached principal holds the secret's digest: the prefix alone opens nothing.
    wrong = key[:-2] + ("AA" if not key.endswith("AA") else "BB")
    assert token_client(wrong).get("/api/v1/schools/").status_code == 401

    api_token_revoke(token=token)
    assert token_client(key).get("/api/v1/schools/").status_code == 401
    assert token_client(other_key).get("/api/v1/schools/").status_code == 200

    api_client_revoke(client=alder_client)
    assert token_client(other_key).get("/api/v1/schools/").status_code == 401
