"""A Content-Security-Policy on every page that allows no inline script, and no template that
would need one."""

import re
from pathlib import Path
from typing import cast

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ..conftest import client_for

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(d) for d in cast("list[Path]", settings.TEMPLATES[0]["DIRS"])] + [
    path
    for app in ("students", "scheduling", "learninglabs", "rocketship")
    if (path := Path(settings.BASE_DIR) / app / "templates").is_dir()
]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
# onclick=, onfocus=, ... and htmx's hx-on / hx-on:click / hx-on::after-request
INLINE_HANDLER = re.compile(r"""[\s"'](on[a-z]+|hx-on[:\-\w]*)\s*=""", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_policy(response) -> None:
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_pages_signed_in_or_not_carry_the_policy(school_a):
    anonymous = Client()
    for path in ("/accounts/login/", "/accounts/password_reset/", "/api/docs/", "/admin/login/"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert_strict_policy(response)

    leader = client_for(school_a.leader.user)
    for path in (
        reverse("school-detail", args=[school_a.school.pk]),
        reverse("my-calendars"),
        "/no/such/page/",
    ):
        assert_strict_policy(leader.get(path))


def test_the_api_answers_carry_it_too(school_a):
    response = Client().get("/api/v1/schools/")
    assert response.status_code == 401
    assert_strict_policy(response)


def template_files() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*") if p.suffix in {".html", ".js"})


def test_no_template_has_an_inline_script_or_event_handler():
    files = template_files()
    assert len(files) > 20
    problems = []
    for path in files:
        text = path.read_text()
        for match in SCRIPT_TAG.finditer(text):
            attributes = match.group(1)
            if "src=" not in attributes and 'type="application/json"' not in attributes:
                problems.append(f"{path}: inline <script{attributes}>")
        for match in INLINE_HANDLER.finditer(text):
            problems.append(f"{path}: inline handler {match.group(1)}=")
        if "javascript:" in text.lower():
            problems.append(f"{path}: a javascript: URL")
    assert problems == []


def test_the_new_feed_address_is_selected_by_a_script_file_not_a_handler(school_a):
    html = client_for(school_a.teacher.user).get(reverse("my-calendars")).content.decode()
    assert "js/select-on-focus.js" in html
