"""Leaders register REST clients for their schools, issue tokens whose key is shown once, and
revoke them; the admin offers the same, scoped the same way."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from students.clients import api_client_create, api_token_issue
from students.models import ApiClient, ApiToken, Role

from ..conftest import client_for
from ..factories import StaffFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r"rs_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def list_url(school) -> str:
    return reverse("api-clients", kwargs={"school_id": school.pk})


def edit_url(school, client) -> str:
    return reverse("api-client-edit", kwargs={"school_id": school.pk, "client_id": client.pk})


def reads_schools(key: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/schools/").status_code


def register(school_world, *, schools=None, name="Hall display", can_write=False) -> ApiClient:
    return api_client_create(
        network=school_world.school.network,
        name=name,
        schools=schools or [school_world.school],
        can_write=can_write,
        by=None,
    )


# --- who may open the page ------------------------------------------------------------------------
def test_only_the_schools_leaders_and_network_admins_reach_the_page(
    school_a, school_b, network_admin
):
    url = list_url(school_a.school)
    assert client_for(school_a.leader.user).get(url).status_code == 200
    assert client_for(network_admin).get(url).status_code == 200
    assert client_for(school_a.teacher.user).get(url).status_code == 403
    assert client_for(school_b.leader.user).get(url).status_code == 404  # not theirs to see
    anonymous = APIClient().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_list_shows_the_schools_clients_and_no_other_schools(school_a, school_b):
    register(school_a, name="Alder board")
    register(school_b, name="Birch board")

    page = client_for(school_a.leader.user).get(list_url(school_a.school))

    assert [c.name for c in page.context["clients"]] == ["Alder board"]
    assert b"Birch board" not in page.content


# --- registering ----------------------------------------------------------------------------------
def test_a_leader_registers_a_client_for_their_school(school_a):
    leader = school_a.leader.user

    response = client_for(leader).post(
        list_url(school_a.school), {"name": " Hall display ", "schools": [school_a.school.pk]}
    )

    client = ApiClient.objects.get()
    assert response.status_code == 302 and response["Location"] == edit_url(school_a.school, client)
    assert client.name == "Hall display" and client.can_write is False
    assert client.created_by == leader and list(client.schools.all()) == [school_a.school]
    assert client.network == school_a.school.network


def test_the_school_choices_are_the_schools_the_user_leads_in_that_network(
    school_a, school_b, school_other_network, network_admin
):
    def offered(user) -> set:
        form = client_for(user).get(list_url(school_a.school)).context["form"]
        return set(form.fields["schools"].queryset)

    assert offered(school_a.leader.user) == {school_a.school}
    assert offered(network_admin) == {school_a.school, school_b.school}
    # A leader of schools in two networks is offered only the page's network's.
    StaffFactory(user=school_a.leader.user, school=school_other_network.school, roles=[Role.LEADER])
    assert offered(school_a.leader.user) == {school_a.school}


def test_a_school_the_leader_does_not_lead_is_refused_and_nothing_is_registered(school_a, school_b):
    response = client_for(school_a.leader.user).post(
        list_url(school_a.school),
        {"name": "Sync", "schools": [school_a.school.pk, school_b.school.pk], "can_write": "on"},
    )
    assert response.status_code == 200
    assert "schools" in response.context["form"].errors
    assert not ApiClient.objects.exists()


def test_a_name_taken_in_the_network_is_refused_beside_the_name(school_a):
    register(school_a, name="Sync")
    response = client_for(school_a.leader.user).post(
        list_url(school_a.school), {"name": "Sync", "schools": [school_a.school.pk]}
    )
    form = response.context["form"]
    assert form.errors["name"] == ["Choose another name."]
    assert form.non_field_errors() == ["bay network already has a client named 'Sync'."]
    assert ApiClient.objects.count() == 1


def test_a_network_admin_registers_a_writing_client_for_two_schools(
    school_a, school_b, network_admin
):
    client_for(network_admin).post(
        list_url(school_a.school),
        {"name": "SIS", "schools": [school_a.school.pk, school_b.school.pk], "can_write": "on"},
    )
    client = ApiClient.objects.get()
    assert client.can_write and set(client.schools.all()) == {school_a.school, school_b.school}


# --- tokens ---------------------------------------------------------------------------------------
def test_an_issued_key_is_shown_once_works_and_is_never_shown_again(school_a):
    client = register(school_a)
    browser = client_for(school_a.leader.user)

    issued = browser.post(edit_url(school_a.school, client), {"action": "issue"})

    assert issued.status_code == 200
    assert "no-store" in issued["Cache-Control"] or "no-cache" in issued["Cache-Control"]
    keys = KEY.findall(issued.content.decode())
    assert len(set(keys)) == 1
    key = keys[0]
    token = ApiToken.objects.get(client=client)
    assert key.startswith(f"rs_{token.prefix}_") and key.split("_", 2)[2] not in token.key_hash
    assert reads_schools(key) == 200
    again = browser.get(edit_url(school_a.school, client)).content.decode()
    assert key not in again and key.split("_", 2)[2][:8] not in again
    assert f"rs_{token.prefix}_" in again  # the token is listed by its public prefix


def test_revoking_a_token_stops_it_and_leaves_the_others(school_a):
    client = register(school_a)
    token, key = api_token_issue(client=client)
    _, other_key = api_token_issue(client=client)

    response = client_for(school_a.leader.user).post(
        edit_url(school_a.school, client), {"action": "revoke-token", "token_id": token.pk}
    )

    assert response.status_code == 302
    assert reads_schools(key) == 401 and reads_schools(other_key) == 200


def test_revoking_the_client_stops_all_its_tokens(school_a):
    client = register(school_a)
    _, key = api_token_issue(client=client)
    browser = client_for(school_a.leader.user)

    response = browser.post(edit_url(school_a.school, client), {"action": "revoke-client"})

    assert response.status_code == 302 and response["Location"] == list_url(school_a.school)
    assert reads_schools(key) == 401
    client.refresh_from_db()
    assert client.revoked_at is not None
    assert b"Revoked" in browser.get(list_url(school_a.school)).content
    issued = browser.post(edit_url(school_a.school, client), {"action": "issue"})
    assert not KEY.search(issued.content.decode()) and client.tokens.count() == 1


def test_a_leader_of_one_school_cannot_change_a_client_that_also_serves_another(school_a, school_b):
    shared = register(school_a, schools=[school_a.school, school_b.school], name="District SIS")
    _, key = api_token_issue(client=shared)
    browser = client_for(school_a.leader.user)

    page = browser.get(edit_url(school_a.school, shared))
    assert page.status_code == 200 and page.context["manageable"] is False
    assert browser.post(edit_url(school_a.school, shared), {"action": "issue"}).status_code == 403
    response = browser.post(edit_url(school_a.school, shared), {"action": "revoke-client"})
    assert response.status_code == 403
    assert shared.tokens.count() == 1 and reads_schools(key) == 200


def test_another_schools_client_or_token_answers_404(school_a, school_b, network_admin):
    birch_only = register(school_b, name="Birch board")
    alder = register(school_a)
    birch_token, birch_key = api_token_issue(client=birch_only)
    browser = client_for(network_admin)

    assert browser.get(edit_url(school_a.school, birch_only)).status_code == 404
    response = browser.post(
        edit_url(school_a.school, alder), {"action": "revoke-token", "token_id": birch_token.pk}
    )
    assert response.status_code == 404 and reads_schools(birch_key) == 200


# --- admin ----------------------------------------------------------------------------------------
def test_the_admin_lists_only_the_users_schools_clients_and_shows_no_key(school_a, school_b):
    alder = register(school_a, name="Alder board")
    register(school_b, name="Birch board")
    token, key = api_token_issue(client=alder)
    browser = client_for(school_a.leader.user)

    listing = browser.get(reverse("admin:students_apiclient_changelist"))
    assert [c.name for c in listing.context["cl"].result_list] == ["Alder board"]
    token_page = browser.get(reverse("admin:students_apitoken_change", args=[token.pk]))
    html = token_page.content.decode()
    assert token_page.status_code == 200
    assert 'name="key_hash"' not in html and key.split("_", 2)[2] not in html
    assert not token_page.context["has_change_permission"]
    client_page = browser.get(reverse("admin:students_apiclient_change", args=[alder.pk]))
    assert client_page.status_code == 200 and client_page.context["has_change_permission"]
    assert key.split("_", 2)[2] not in client_page.content.decode()


def test_the_admin_issues_a_key_once_and_revokes_tokens(school_a):
    alder = register(school_a, name="Alder board")
    browser = client_for(school_a.leader.user)

    issued = browser.post(
        reverse("admin:students_apiclient_changelist"),
        {"action": "issue_token", "_selected_action": [alder.pk]},
    )
    key = KEY.search(issued.content.decode()).group(0)
    assert reads_schools(key) == 200

    token = ApiToken.objects.get(client=alder)
    browser.post(
        reverse("admin:students_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert reads_schools(key) == 401


def test_the_admin_refuses_a_school_of_another_network(school_a, school_other_network):
    response = client_for(school_a.leader.user).post(
        reverse("admin:students_apiclient_add"),
        {
            "network": school_a.school.network.pk,
            "name": "Sync",
            "schools": [school_other_network.school.pk],
            "tokens-TOTAL_FORMS": 0,
            "tokens-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "schools" in response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_the_admin_registers_a_client_with_its_author(school_a):
    leader = school_a.leader.user
    response = client_for(leader).post(
        reverse("admin:students_apiclient_add"),
        {
            "network": school_a.school.network.pk,
            "name": "Sync",
            "schools": [school_a.school.pk],
            "tokens-TOTAL_FORMS": 0,
            "tokens-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    client = ApiClient.objects.get()
    assert client.created_by == leader and list(client.schools.all()) == [school_a.school]
