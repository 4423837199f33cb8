"""Signals other apps listen to, so that ``scheduling`` never imports them.

``day_published`` is sent once a version of a school's date is published (a leader's publish or
restore, a build asked to publish, the nightly rebuild: every path goes through
``scheduling.services.builds._make_published``), after the publishing transaction commits, so a
listener reads committed rows. Arguments:

- ``schedule``: the version now published;
- ``previous``: the version it replaced (published until this transaction), or ``None`` when
  the date had no published version (the day's first publication).

Sent with ``send_robust``: a listener that fails is logged, never turns a publish that already
committed into an error.
"""

from django.dispatch import Signal

day_published = Signal()
