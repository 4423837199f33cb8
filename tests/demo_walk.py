"""Walk the demo network's pages as each demo login, against whatever database the environment
names (``DATABASE_URL``): every link of the top bar, My day and the published day must answer 200.

Run by tests/test_run_command.py on the fresh SQLite file that ``bin/run --setup-only`` made;
``python -m tests.demo_walk`` prints each page and exits 1 on any failure."""

import os
import sys

LOGINS = ("leader", "leader.alder", "humanities", "stem", "ils", "sped", "specials", "admin")
PASSWORD = "rocketship-demo"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rocketship.settings")
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # responses then carry their template context

    failures = []
    for username in LOGINS:
        client = Client()
        # Through the login page, as a person would: the guard against guessing sees a request.
        login = client.post(reverse("login"), {"username": username, "password": PASSWORD})
        if login.status_code != 302:
            failures.append(f"{username}: cannot log in (answered {login.status_code})")
            continue
        landing = client.get("/", follow=True)
        navigation = landing.context["navigation"]
        urls = [link.url for link in (*navigation.day, *navigation.network, *navigation.setup)]
        urls.append(reverse("my-day"))
        for url in dict.fromkeys(urls):
            status = client.get(url).status_code
            print(f"{username:14} {status} {url}")
            if status != 200:
                failures.append(f"{username}: {url} answered {status}")
    print("\n".join(failures) or "every page answered 200")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
