"""The leader's page of REST clients: register a client for some schools, issue its tokens (the
key is shown on the answer to that one request and never again), revoke a token or the client.

Who: the school's leaders and its network's admins (``get_led_school_or_404``: 404 for a school
the user cannot see, 403 for one they see but do not lead). A client can cover several schools;
changing it (tokens, revocation) needs leading every one of them, so a leader of one school cannot
cut off another school's display boards. Writes go through ``students.clients``.
"""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rocketship.request_types import AuthenticatedHttpRequest

from .clients import api_client_create, api_client_revoke, api_token_issue, api_token_revoke
from .errors import DomainError
from .models import ApiClient, ApiToken, School
from .permissions import AnyUser, led_schools, page_via
from .scoping import get_led_school_or_404, get_scoped_or_404, scope_for_user

page = require_http_methods(["GET", "POST"])


class ApiClientForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text=gettext_lazy("What it is, so a leader recognises it: 'Hall display'."),
    )
    schools = forms.ModelMultipleChoiceField(
        queryset=School.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The schools whose published schedules and rosters it may read."),
    )
    can_write = forms.BooleanField(
        required=False,
        label=gettext_lazy("May write"),
        help_text=gettext_lazy(
            "Push Learning Lab progress and request schedule builds. Leave off for displays."
        ),
    )

    def __init__(self, *args: Any, choices: QuerySet[School], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["schools"]).queryset = choices

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


def clients_of_school(*, user: AnyUser, school: School) -> QuerySet[ApiClient]:
    """The clients registered for ``school`` (revoked ones last), with their schools and live
    token counts: two queries whatever their number."""
    clients = scope_for_user(ApiClient.objects.filter(schools=school), user)
    return (
        clients.annotate(
            live_tokens=Count("tokens", filter=Q(tokens__revoked_at__isnull=True), distinct=True)
        )
        .prefetch_related("schools")
        .order_by("revoked_at", "name")
    )


def can_manage(user: AnyUser, client: ApiClient) -> bool:
    """Whether ``user`` leads every school of ``client`` (network admins lead them all)."""
    return not client.schools.exclude(pk__in=led_schools(user).values("pk")).exists()


@login_required
@page
def api_clients(request: AuthenticatedHttpRequest, school_id: int) -> HttpResponse:
    school = get_led_school_or_404(request.user, school_id, via=page_via(request))
    choices = led_schools(request.user).filter(network=school.network).order_by("name")
    form = ApiClientForm(request.POST or None, choices=choices, initial={"schools": [school]})
    if request.method == "POST" and form.is_valid():
        try:
            client = api_client_create(
                network=school.network,
                name=form.cleaned_data["name"],
                schools=list(form.cleaned_data["schools"]),
                can_write=form.cleaned_data["can_write"],
                by=request.user,
            )
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                gettext("Registered %(name)s. Issue its first token below.")
                % {"name": client.name},
            )
            home = school if school in form.cleaned_data["schools"] else client.schools.first()
            assert home is not None  # a client is registered for at least one school
            return redirect("api-client-edit", school_id=home.pk, client_id=client.pk)
    return render(
        request,
        "students/api_clients/list.html",
        {
            "school": school,
            "clients": list(clients_of_school(user=request.user, school=school)),
            "form": form,
        },
    )


@never_cache  # the answer to "issue" holds a key: no cache may keep it
@login_required
@page
def api_client_edit(request: HttpRequest, school_id: int, client_id: int) -> HttpResponse:
    school = get_led_school_or_404(request.user, school_id, via=page_via(request))
    client = get_scoped_or_404(
        ApiClient.objects.filter(schools=school).select_related("network", "created_by"),
        request.user,
        via=page_via(request),
        pk=client_id,
    )
    manageable = can_manage(request.user, client)
    new_key = None
    if request.method == "POST":
        if not manageable:
            raise PermissionDenied(
                gettext("Only someone who leads all of this client's schools can.")
            )
        action = request.POST.get("action")
        try:
            if action == "issue":
                token, new_key = api_token_issue(client=client)
                messages.success(
                    request,
                    gettext("Issued token %(prefix)s. Copy its key now.")
                    % {"prefix": token.prefix},
                )
            elif action == "revoke-token":
                token = get_scoped_or_404(
                    ApiToken.objects.filter(client=client),
                    request.user,
                    via=page_via(request),
                    pk=request.POST.get("token_id"),
                )
                api_token_revoke(token=token)
                messages.success(
                    request,
                    gettext("Revoked token %(prefix)s; it stops working now.")
                    % {"prefix": token.prefix},
                )
                return redirect("api-client-edit", school_id=school.pk, client_id=client.pk)
            elif action == "revoke-client":
                api_client_revoke(client=client)
                messages.success(
                    request,
                    gettext("Revoked %(name)s and all its tokens.") % {"name": client.name},
                )
                return redirect("api-clients", school_id=school.pk)
            else:
                messages.error(request, gettext("Choose what to do: issue or revoke."))
        except DomainError as error:
            messages.error(request, str(error))
        client.refresh_from_db()
    return render(
        request,
        "students/api_clients/edit.html",
        {
            "school": school,
            "client": client,
            "schools": list(client.schools.order_by("name")),
            "tokens": list(client.tokens.all()),
            "manageable": manageable,
            "new_key": new_key,
        },
    )


def _add_errors(form: forms.Form, error: DomainError) -> None:
    """The service's message above the form, and its per-field messages beside the fields."""
    form.add_error(None, str(error))
    for field, field_errors in error.errors.items():
        if field in form.fields:
            for message in field_errors:
                form.add_error(field, message)
