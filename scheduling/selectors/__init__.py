"""The scheduling app's reads: nothing here creates, changes, deletes or queues anything.

Writes live in ``scheduling.services``; this package never imports it."""
