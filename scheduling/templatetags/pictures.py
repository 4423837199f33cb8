"""``{% day_picture schedule %}``: a schedule's three pictures, from the schedule alone.

Any page can draw a schedule's pictures with it (the draft review page does); the tag reads the
picture (four queries) and, unless the page says ``can_pin``, whether the user leads the school
(one more), so a leader can pin blocks from wherever the grid is shown.
"""

from typing import Any

from django import template

from students.permissions import led_schools

from ..models import Schedule
from ..selectors.pictures import day_picture as read_day_picture

register = template.Library()


@register.inclusion_tag("scheduling/pictures/_day_body.html", takes_context=True)
def day_picture(context: template.Context, schedule: Schedule) -> dict[str, Any]:
    request = context.get("request")
    if "can_pin" in context:
        can_pin = bool(context["can_pin"])
    else:
        user = getattr(request, "user", None)
        can_pin = user is not None and led_schools(user).filter(pk=schedule.school_id).exists()
    return {
        "picture": read_day_picture(schedule=schedule),
        "can_pin": can_pin,
        "pin_error": context.get("pin_error"),
        "next_url": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
