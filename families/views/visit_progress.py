"""First-visit progress pages: a school's for its leaders (and its network's admins), with a
CSV of the same counts, and a network's for its admins.

Thin: scope, read ``families.visit_progress``, render. Another school answers 404 and a
teacher of the school 403, as every leader page; a network its user does not administer 404.
The pages hold counts and staff names, never a family's name or address.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from students.models import Network
from students.permissions import administers, page_via
from students.scoping import get_led_school_or_404

from ..access import school_today
from ..visit_progress import network_progress, progress_csv, progress_filename, school_progress


@login_required
@require_GET
def school_progress_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = get_led_school_or_404(request.user, school_id, via=page_via(request))
    progress = school_progress(school)
    return render(
        request,
        "families/visits/progress.html",
        {
            "school": school,
            "progress": progress,
            "progress_school_rows": [(school.name, progress.total)],
            "progress_language_rows": [(row.name, row.tally) for row in progress.languages],
        },
    )


@login_required
@require_GET
def school_progress_csv(request: HttpRequest, school_id: int) -> HttpResponse:
    school = get_led_school_or_404(request.user, school_id, via=page_via(request))
    body = progress_csv(school_progress(school))
    # The byte order mark tells Excel the file is UTF-8 (accented names); other readers skip it.
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{progress_filename(school, school_today(school))}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def network_progress_page(request: HttpRequest, network_id: int) -> HttpResponse:
    network = Network.objects.filter(pk=network_id).first()
    if network is None or not administers(request.user, network):
        raise Http404("No such network.")
    progress = network_progress(network)
    return render(
        request,
        "families/visits/network_progress.html",
        {
            "network": network,
            "progress": progress,
            "school_rows": [
                *((row.school.name, row.total) for row in progress.schools),
                (_("All schools"), progress.total),
            ],
            "language_rows": [(row.name, row.tally) for row in progress.languages],
        },
    )
