"""What a Celery worker does as it starts (connected in ``StudentsConfig.ready``, which a worker
runs before its ``worker_init``): take the broker options that fit the queues it consumes
(``rocketship.broker``), and, once ready, have the jobs lost meanwhile swept
(``students.jobs``)."""

from celery.signals import worker_init, worker_ready

from rocketship.broker import on_worker_init

from .jobs import jobs_sweep_on_worker_ready

worker_init.connect(on_worker_init, dispatch_uid="rocketship.broker.on_worker_init")
worker_ready.connect(jobs_sweep_on_worker_ready, dispatch_uid="students.jobs.sweep_on_ready")
