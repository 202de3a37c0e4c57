"""The web console in headless Chromium against a real server: sign in with the administrator's
key, deploy a zip, invoke it with a test event, watch the live tail and the invocations chart,
manage budgets, and the guards (no session, no CSRF token, a deleted key, a limited user).

With ``LAMBENT_CONSOLE_SCREENSHOTS=1`` the screenshots of the main pages in ``docs/console/`` are
taken again (otherwise a run leaves the checkout as it found it)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.server import ROLE, Server, make_zip

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
    pytest.skip(f"the console's browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
HANDLER = 'def handler(event, context):\n    print("console says", event.get("marker"))\n    return {"echo": event}\n'


def shoot(page: Page, name: str) -> None:
    if os.environ.get("LAMBENT_CONSOLE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def sign_in(browser: Browser, server: Server, credentials: tuple[str, str], viewport: Any = WIDE) -> Page:
    page = browser.new_context(viewport=viewport, base_url=server.endpoint).new_page()
    page.goto("/console/functions")
    expect(page).to_have_url(f"{server.endpoint}/console/signin?next=/console/functions")
    page.get_by_label("Access key id").fill(credentials[0])
    page.get_by_label("Secret access key").fill(credentials[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Functions", level=1)).to_be_visible()
    return page


@pytest.fixture(scope="module")
def admin(browser: Browser, server: Server) -> Iterator[Page]:
    page = sign_in(browser, server, server.credentials())
    yield page
    page.context.close()


def test_a_request_without_a_session_is_sent_to_sign_in(server: Server) -> None:
    for path in ("/console/functions", "/console/usage", "/console/functions/x/metrics"):
        answer = httpx.get(f"{server.endpoint}{path}", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/console/signin?next={path}"
    htmx = httpx.get(f"{server.endpoint}/console/keys", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == "/console/signin?next=/console/keys"
    assert httpx.get(f"{server.endpoint}/console/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_a_wrong_secret_is_refused_on_the_sign_in_page(browser: Browser, server: Server) -> None:
    page = browser.new_context(base_url=server.endpoint).new_page()
    page.goto("/console/signin")
    shoot(page, "signin")
    page.get_by_label("Access key id").fill(server.credentials()[0])
    page.get_by_label("Secret access key").fill("not-the-secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active key")
    assert page.context.cookies() == []
    page.context.close()


def server_secret_free(cookie: str) -> bool:
    """Whether a session cookie's body (base64 JSON before the MAC) names only its fields."""
    body = cookie.split(".")[0]
    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return set(fields) == {"access_key_id", "expires_at", "nonce"}


def test_the_session_cookie_is_secure_httponly_and_strict(admin: Page) -> None:
    (cookie,) = admin.context.cookies()
    assert cookie["name"] == "lambent_console"
    assert (cookie["secure"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, True, "Strict", "/console")
    assert server_secret_free(cookie["value"])


def test_deploy_invoke_tail_and_chart(admin: Page, server: Server, tmp_path: Path) -> None:
    name = f"console-{uuid.uuid4().hex[:8]}"
    marker = uuid.uuid4().hex
    package = tmp_path / "app.zip"
    package.write_bytes(make_zip({"app.py": HANDLER}))
    page = admin
    page.goto("/console/deploy")
    page.get_by_label("Function name").fill(name)
    page.get_by_label("Execution role ARN").fill(ROLE)
    page.get_by_label("Deployment package (.zip)").set_input_files(str(package))
    shoot(page, "deploy")
    page.get_by_role("button", name="Create function").click()
    expect(page).to_have_url(f"{server.endpoint}/console/functions/{name}", timeout=30_000)
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()

    # Bad JSON is a message, not a 500; a good event runs, is saved, and its log line shows.
    page.get_by_label("Event (JSON)").fill("{not json")
    page.get_by_role("button", name="Invoke").click()
    expect(page.locator("#invoke-result")).to_contain_text("The test event is not JSON")
    page.get_by_label("Event (JSON)").fill(json.dumps({"marker": marker}))
    page.get_by_label("Save as (optional name)").fill("marked")
    page.get_by_role("button", name="Invoke").click()
    expect(page.locator("#invoke-outcome")).to_contain_text("Succeeded", timeout=30_000)
    expect(page.locator("#invoke-payload")).to_contain_text(marker)
    expect(page.locator("#invoke-log")).to_contain_text(f"console says {marker}")

    # The live tail polls from where it was: the new line arrives without a reload.
    expect(page.locator("#log-lines")).to_contain_text(f"console says {marker}", timeout=10_000)

    # The chart's data, as the page fetched it, counts the invocation once the ledger rolled it up.
    counted = 0
    for _ in range(20):
        with page.expect_response(lambda r: "/metrics?range=1h" in r.url) as answered:
            page.get_by_role("button", name="Refresh").click()
        counted = answered.value.json()["invocations_total"]
        if counted >= 1:
            break
        page.wait_for_timeout(250)
    assert counted == 1
    expect(page.locator("#invocations-total")).to_have_text("1")
    page.locator("#charts canvas").first.wait_for()
    shoot(page, "function")

    # The saved event is offered on the next visit; a function error is shown with its type.
    page.reload()
    expect(page.get_by_label("Saved test event")).to_contain_text("marked")
    page.get_by_label("Event (JSON)").fill("[1, 2]")  # event.get fails on a list
    page.get_by_role("button", name="Invoke").click()
    expect(page.locator("#function-error")).to_have_text("AttributeError", timeout=30_000)

    # The list shows it, with the last 24 hours' invocations (one success, one error: 50 %).
    page.goto("/console/functions")
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("python3.12")
    expect(row).to_contain_text("128 MB")
    shoot(page, "functions")
    narrow = page.context.browser.new_context(viewport=NARROW, base_url=server.endpoint)  # type: ignore[union-attr]
    narrow.add_cookies(page.context.cookies())
    small = narrow.new_page()
    small.goto("/console/functions")
    expect(small.get_by_role("heading", name="Functions", level=1)).to_be_visible()
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(small, "functions-390")
    narrow.close()


def test_a_file_that_is_not_a_zip_is_refused_with_a_message(admin: Page, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip file")
    admin.goto("/console/deploy")
    admin.get_by_label("Function name").fill(f"bad-{uuid.uuid4().hex[:6]}")
    admin.get_by_label("Execution role ARN").fill(ROLE)
    admin.get_by_label("Deployment package (.zip)").set_input_files(str(bad))
    admin.get_by_role("button", name="Create function").click()
    expect(admin.locator(".upload-result [role=alert]")).to_be_visible(timeout=15_000)
    expect(admin.get_by_label("Upload progress")).to_have_attribute("value", "100")


def test_create_and_delete_a_budget(admin: Page) -> None:
    name = f"b-{uuid.uuid4().hex[:6]}"
    admin.goto("/console/usage")
    admin.get_by_label("Name", exact=True).fill(name)
    admin.get_by_label("Monthly cap").fill("12.50")
    admin.get_by_role("button", name="Create budget").click()
    row = admin.locator("#budgets tr").filter(has_text=name)
    expect(row).to_contain_text("12.50 USD")
    shoot(admin, "usage")
    admin.get_by_role("link", name=f"Delete budget {name}").click()
    expect(admin.get_by_role("heading", name=f"Delete budget {name}?")).to_be_visible()
    admin.get_by_role("button", name="Delete").click()
    expect(admin).to_have_url(f"{admin.url.split('/console')[0]}/console/usage")
    expect(admin.locator("#budgets tr").filter(has_text=name)).to_have_count(0)
    # Bad input is a message on the page.
    admin.get_by_label("Name", exact=True).fill(name)
    admin.get_by_label("Monthly cap").fill("lots")
    admin.get_by_role("button", name="Create budget").click()
    expect(admin.get_by_role("alert")).to_contain_text("is not a number")


def test_a_post_without_the_csrf_token_is_refused(admin: Page, server: Server) -> None:
    request = admin.context.request  # the browser's: it sends the session cookie
    refused = request.post("/console/budgets", form={"name": "csrf-less", "limit": "1"}, max_redirects=0)
    assert refused.status == 403
    assert "CSRF" in refused.text()
    forged = request.post("/console/budgets", form={"name": "csrf-less", "limit": "1", "csrf_token": "x"}, max_redirects=0)
    assert forged.status == 403
    token = admin.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    name = f"csrf-ok-{uuid.uuid4().hex[:6]}"
    accepted = request.post("/console/budgets", form={"name": name, "limit": "1", "csrf_token": token}, max_redirects=0)
    assert accepted.status == 303
    assert request.post(f"/console/budgets/{name}/delete", form={}, max_redirects=0).status == 403
    assert request.post(f"/console/budgets/{name}/delete", form={"csrf_token": token}, max_redirects=0).status == 303
    cookie = {"lambent_console": admin.context.cookies()[0]["value"]}
    assert httpx.post(f"{server.endpoint}/console/keys", cookies=cookie).status_code == 403


def test_keys_a_new_secret_shown_once_and_a_deleted_key_ends_its_session(admin: Page, browser: Browser, server: Server) -> None:
    admin.goto("/console/keys")
    admin.get_by_role("button", name="Create an access key").click()
    key_id = admin.locator("#new-key-id").inner_text()
    secret = admin.locator("#new-key-secret").inner_text()
    assert key_id.startswith("AKIA") and len(secret) == 40
    other = sign_in(browser, server, (key_id, secret))
    admin.goto("/console/keys")
    expect(admin.locator("#keys")).to_contain_text(key_id)
    shoot(admin, "keys")
    admin.get_by_role("link", name=f"Delete key {key_id}").click()
    admin.get_by_role("button", name="Delete").click()
    expect(admin.locator("#keys")).not_to_contain_text(key_id)
    other.goto("/console/functions")
    expect(other).to_have_url(f"{server.endpoint}/console/signin?next=/console/functions")
    other.context.close()


def test_a_limited_user_sees_only_what_its_policy_allows(browser: Browser, server: Server) -> None:
    iam = server.client("iam")
    user = f"viewer-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="list-only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    page = sign_in(browser, server, (key["AccessKeyId"], key["SecretAccessKey"]))
    expect(page.get_by_role("table").first).to_contain_text("not permitted")  # no cloudwatch:GetMetricStatistics
    name = page.get_by_role("row").nth(1).get_by_role("link").inner_text()
    answer = page.goto(f"/console/functions/{name}")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("lambda:GetFunction")
    page.goto("/console/usage")
    expect(page.locator("main")).to_contain_text("Not permitted (lambent:GetUsage)")
    page.context.close()
