"""What the scheduling pages do first: name the page in the audit trail, and look up the school
and the schedule the URL names, within what the user may see (anything else answers 404)."""

from django.http import HttpRequest

from students.models import School
from students.permissions import page_via
from students.scoping import get_led_school_or_404, get_scoped_or_404

from ..models import Schedule


def led_school(request: HttpRequest, school_id: int) -> School:
    """A school the user leads (the URL's: its zone is already the request's, see
    ``rocketship.school_zone``)."""
    return get_led_school_or_404(request.user, school_id, via=page_via(request))


def visible_school(request: HttpRequest, school_id: int) -> School:
    """A school the user may see (its staff, its network's admins), with its network."""
    return get_scoped_or_404(
        School.objects.select_related("network"), request.user, via=page_via(request), pk=school_id
    )


def school_schedule(request: HttpRequest, school: School, schedule_id: int) -> Schedule:
    """One of ``school``'s schedules, with what its pages print: another school's id answers
    404, as a missing one does."""
    return get_scoped_or_404(
        Schedule.objects.filter(school=school).select_related(
            "school", "day_type", "built_by", "built_by_client"
        ),
        request.user,
        via=page_via(request),
        pk=schedule_id,
    )
