"""The scheduling app's writes: every module here creates, changes, deletes or queues something.

Reads live in ``scheduling.selectors``, which never imports this package."""
