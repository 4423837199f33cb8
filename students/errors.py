"""Domain errors raised by services; the API's one exception handler renders them."""

from typing import Any


class DomainError(Exception):
    """A refused action with a message a school leader can act on."""

    code = "domain-error"
    title = "The request cannot be carried out"
    status = 400

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class RecordIsPermanent(DomainError):
    """Student records and the audit trail are kept; they are ended, never deleted."""

    code = "record-is-permanent"
    title = "This record cannot be deleted"
    status = 409
