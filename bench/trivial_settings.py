"""Settings of the API load benchmark's server: the product's settings, with a URLconf that adds
one trivial JSON view beside the product's URLs (``bench/trivial_urls.py``).

Only ``bench/api_load.py`` serves with these (``DJANGO_SETTINGS_MODULE=bench.trivial_settings``);
nothing in the product imports them, so the trivial view never exists in production.
"""

from rocketship.settings import *  # noqa: F403

ROOT_URLCONF = "bench.trivial_urls"
