"""Domain errors raised by services; the API's one exception handler renders them."""

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """A refused action with a message a school leader can act on."""

    code = "domain-error"
    # A subclass may name its kind with a plain or a lazily translated string.
    title: "StrOrPromise" = gettext_lazy("The request cannot be carried out")
    status = 400

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class RecordIsPermanent(DomainError):
    """Student records and the audit trail are kept; they are ended, never deleted."""

    code = "record-is-permanent"
    title = gettext_lazy("This record cannot be deleted")
    status = 409
