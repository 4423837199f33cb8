"""The API's Swagger UI works under the Content-Security-Policy (no inline script)."""

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_swagger_ui_shows_the_api_under_the_content_security_policy(live_server, page):
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title:has-text('Rocketship API')")
    page.wait_for_selector(".opblock-tag-section")
    assert page.csp_violations == []  # also checked when the page closes
