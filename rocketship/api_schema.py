"""The OpenAPI document's shared parts, written once instead of on every view.

``ProblemAutoSchema`` (the project's DEFAULT_SCHEMA_CLASS) adds to each operation the error
answers it can give, all with the ``Problem`` body of ``rocketship.api_errors``:

- 401 and 403 wherever a caller must be authenticated (403: a read-only token writing, a user who
  does not lead the school, a session without its CSRF token);
- 404 wherever the path names an object (another school's ids answer 404 as missing ones do);
- 400 wherever the operation parses input: query parameters, a body, a path part that is not
  an integer id (bad filters, pagination, dates, validation);
- 413 and 415 on writes (body size limit, unsupported media type);
- 429 wherever the view is throttled, with ``Retry-After``.

A view's own ``extend_schema(responses=...)`` for one of these codes keeps its description, but
every 4xx/5xx body is documented as ``Problem`` in ``application/problem+json``, because that is
what the one handler sends (a view cannot document another error shape). ``ClientTokenScheme``
documents ``Authorization: Token <key>`` as the ``Token`` security scheme.
"""

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemSerializer(serializers.Serializer):
    """An error answer (RFC 9457 problem details)."""

    type = serializers.CharField(
        help_text=gettext_lazy("A URI naming the kind of problem; 'about:blank#…'.")
    )
    title = serializers.CharField(help_text=gettext_lazy("A short summary of the kind of problem."))
    status = serializers.IntegerField(help_text=gettext_lazy("The HTTP status code."))
    detail = serializers.CharField(
        help_text=gettext_lazy("What went wrong in this request, for people.")
    )
    errors = serializers.DictField(  # type: ignore[assignment]  # the body's name; DRF's own is unused
        child=serializers.JSONField(),
        help_text=gettext_lazy(
            "Messages by field (or by item index in a bulk body); empty when none."
        ),
    )

    class Meta:
        ref_name = "Problem"


_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before the next request.",
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": "The scheme to authenticate with: Token.",
    }
}

# code -> (description, headers)
_PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("The parameters or the body are not valid; errors names each field.", {}),
    401: ("No credentials, or a token that is unknown or revoked.", _WWW_AUTHENTICATE),
    403: ("Authenticated, but not allowed to do this (e.g. a read-only token writing).", {}),
    404: ("Nothing with these ids among the caller's schools.", {}),
    413: ("The request body is over the endpoint's size limit.", {}),
    415: ("The body's media type is not accepted.", {}),
    429: ("Too many requests from this client or user; see Retry-After.", _RETRY_AFTER),
}


class ProblemAutoSchema(AutoSchema):
    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self.problem_codes(operation):
            responses.setdefault(str(code), self._problem_response(code))
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                # Every error is problem JSON (the one handler renders it), whatever a view wrote.
                response["content"] = self._problem_response(int(code))["content"]
        return operation

    def problem_codes(self, operation: dict[str, Any]) -> list[int]:
        codes = []
        parameters = operation.get("parameters", [])
        writes = self.method in WRITE_METHODS
        parsed = [  # an integer id in the path is matched by the URL itself: a bad one is a 404
            parameter
            for parameter in parameters
            if parameter.get("in") != "path" or parameter["schema"].get("type") != "integer"
        ]
        if parsed or writes or "requestBody" in operation:
            codes.append(400)
        security = operation.get("security", [])
        if security and {} not in security:
            codes += [401, 403]
        if any(parameter.get("in") == "path" for parameter in parameters):
            codes.append(404)
        if writes:
            codes += [413, 415]
        if self.view.get_throttles():
            codes.append(429)
        return codes

    def _problem_response(self, code: int) -> dict[str, Any]:
        description, headers = _PROBLEMS.get(code, ("An error.", {}))
        component = self.resolve_serializer(ProblemSerializer, "response")
        response: dict[str, Any] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": component.ref}},
        }
        if headers:
            response["headers"] = headers
        return response


class ClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = "students.api.auth.ClientTokenAuthentication"
    name = "Token"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A client token, sent as `Authorization: Token <key>`. A leader or network admin "
                "registers the client for some schools and issues its tokens; the key is shown "
                "once. Tokens read only unless the client holds the write grant."
            ),
        }
