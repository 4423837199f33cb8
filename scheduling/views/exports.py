"""A published day as CSV for the school's leaders: by cohort, or by staff member.

Thin: scope the school (its leaders and their network's admins; another school answers 404, a
teacher there 403, as every leader page), find the day's published version, and answer the CSV
that ``scheduling.selectors.exports`` writes as an attachment.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from ..dates import NotADay, parse_day
from ..selectors import exports
from .school_scope import led_school


def _date(raw: str) -> datetime.date:
    try:
        return parse_day(raw)
    except NotADay as error:
        raise Http404(str(error)) from None


def _export(request: HttpRequest, school_id: str, day: str, layout: str) -> HttpResponse:
    school = led_school(request, int(school_id))  # the URL's pattern admits digits only
    date = _date(day)
    schedule = exports.published_schedule(school, date)
    if schedule is None:
        day_text = date_format(date, "WEEKDAY_DATE_FORMAT")
        return HttpResponseNotFound(
            gettext(
                "Nothing is published for %(school)s on %(day)s: there is no day to export. "
                "Publish a version of the day first."
            )
            % {"school": school.name, "day": day_text}
            + "\n",
            content_type="text/plain; charset=utf-8",
        )
    body = exports.cohorts_csv(schedule) if layout == "cohorts" else exports.staff_csv(schedule)
    # The byte order mark tells Excel the file is UTF-8 (accented names); other readers skip it.
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(school, date, layout)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def day_cohorts_csv(request: HttpRequest, school_id: str, day: str) -> HttpResponse:
    return _export(request, school_id, day, "cohorts")


@login_required
@require_GET
def day_staff_csv(request: HttpRequest, school_id: str, day: str) -> HttpResponse:
    return _export(request, school_id, day, "staff")
