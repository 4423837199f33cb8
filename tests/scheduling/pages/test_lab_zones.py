"""A lab's zones on its room page: banks of computers where program time sits and tables for
small groups. A valid zone is stored; a refused one says why and stores nothing; another school's
lab or zone answers 404."""

import pytest
from django.urls import reverse

from scheduling.models import LabZone, RoomKind
from tests.conftest import client_for
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db


def zones_url(lab) -> str:
    return reverse("lab-zone-add", kwargs={"school_id": lab.school_id, "room_id": lab.pk})


def zone_url(zone) -> str:
    lab = zone.lab
    return reverse(
        "lab-zone-edit",
        kwargs={"school_id": lab.school_id, "room_id": lab.pk, "zone_id": zone.pk},
    )


def room_page(lab) -> str:
    return reverse("room-edit", kwargs={"school_id": lab.school_id, "room_id": lab.pk})


@pytest.fixture
def lab(school_a):
    return RoomFactory(school=school_a.school, name="Lab", kind=RoomKind.LEARNING_LAB, capacity=60)


def test_a_leader_adds_computer_banks_and_a_table_and_the_page_lists_them(school_a, lab):
    client = client_for(school_a.leader.user)
    for name, seats, computers in (("Bank A", 30, "on"), ("Bank B", 30, "on"), ("Table", 6, "")):
        data = {"name": name, "seats": seats}
        if computers:
            data["computers"] = computers
        assert client.post(zones_url(lab), data).status_code == 302
    zones = {z.name: (z.seats, z.computers) for z in lab.zones.all()}
    assert zones == {"Bank A": (30, True), "Bank B": (30, True), "Table": (6, False)}
    page = client.get(room_page(lab)).content.decode()
    assert "Bank A" in page and "Small groups" in page
    assert "seat 60 of the lab" in page


def test_computer_zones_seating_more_than_the_lab_are_refused_and_nothing_is_stored(school_a, lab):
    client = client_for(school_a.leader.user)
    client.post(zones_url(lab), {"name": "Bank A", "seats": 40, "computers": "on"})
    response = client.post(zones_url(lab), {"name": "Bank B", "seats": 30, "computers": "on"})
    assert response.status_code == 200
    assert "would seat 70, more than the lab" in response.content.decode()
    assert list(lab.zones.values_list("name", flat=True)) == ["Bank A"]


def test_a_table_does_not_count_against_the_labs_computer_seats(school_a, lab):
    client = client_for(school_a.leader.user)
    client.post(zones_url(lab), {"name": "Bank A", "seats": 60, "computers": "on"})
    response = client.post(zones_url(lab), {"name": "Table", "seats": 6})
    assert response.status_code == 302
    assert lab.zones.count() == 2


def test_a_zone_name_twice_and_zero_seats_are_refused_beside_the_field(school_a, lab):
    client = client_for(school_a.leader.user)
    client.post(zones_url(lab), {"name": "Bank A", "seats": 30, "computers": "on"})
    twice = client.post(zones_url(lab), {"name": "bank a", "seats": 10, "computers": "on"})
    assert "already has a zone named bank a" in twice.content.decode()
    empty = client.post(zones_url(lab), {"name": "Bank C", "seats": 0, "computers": "on"})
    assert "id_seats_error" in empty.content.decode()
    assert lab.zones.count() == 1


def test_a_classroom_has_no_zones(school_a):
    room = RoomFactory(school=school_a.school, name="Room 12", kind=RoomKind.CLASSROOM)
    client = client_for(school_a.leader.user)
    response = client.post(zones_url(room), {"name": "Corner", "seats": 4})
    assert response.status_code == 404
    assert not LabZone.objects.exists()
    assert "Add zone" not in client.get(room_page(room)).content.decode()


def test_removing_a_zone(school_a, lab):
    zone = LabZone.objects.create(lab=lab, name="Table", seats=6, computers=False)
    response = client_for(school_a.leader.user).post(zone_url(zone), {"action": "delete"})
    assert response.status_code == 302
    assert not LabZone.objects.filter(pk=zone.pk).exists()


def test_another_schools_lab_and_zone_answer_404_and_change_nothing(school_a, school_b, lab):
    zone = LabZone.objects.create(lab=lab, name="Table", seats=6, computers=False)
    client = client_for(school_b.leader.user)
    assert client.post(zones_url(lab), {"name": "Mine", "seats": 4}).status_code == 404
    assert client.post(zone_url(zone), {"action": "delete"}).status_code == 404
    # A's zone under B's own lab: the zone is looked up within the lab, so still 404.
    lab_b = RoomFactory(school=school_b.school, name="Lab B", kind=RoomKind.LEARNING_LAB)
    sneaky = reverse(
        "lab-zone-edit",
        kwargs={"school_id": lab_b.school_id, "room_id": lab_b.pk, "zone_id": zone.pk},
    )
    assert client.post(sneaky, {"action": "delete"}).status_code == 404
    assert LabZone.objects.filter(pk=zone.pk).exists()
    assert (
        client_for(school_a.teacher.user)
        .post(zones_url(lab), {"name": "T", "seats": 4})
        .status_code
        == 403
    )
    assert lab.zones.count() == 1
