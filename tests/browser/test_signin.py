"""Signing in and out of the web UI in Chromium: the form's refusal of a wrong password, the
user's name in the navigation once signed in, a sign-out that also ends the token on the
server, and a token ended behind the page's back (revoked elsewhere) that sends the user back to
the sign-in form with the reason rather than leaving a page of refusals."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN, ADMIN_PASSWORD
from tests.browser.support import fill_sign_in, graphql, page_token, refused, sign_in

REVOKE = "mutation Revoke($t: String!) { revokeToken(token: $t) }"


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(page: Page, server: str) -> None:
    page.goto(f"{server}/#/signin?next=/ingest")
    fill_sign_in(page, ADMIN, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("the user or password is invalid")
    expect(page.get_by_test_id("who")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('tmr.token')") is None

    fill_sign_in(page, ADMIN, ADMIN_PASSWORD)
    expect(page.get_by_test_id("who")).to_have_text(ADMIN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingest")
    assert not refused(server, page_token(page))


def test_signing_out_returns_to_sign_in_and_ends_the_token(page: Page, server: str) -> None:
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/ingest")
    token = page_token(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    expect(page.get_by_test_id("who")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('tmr.token')") is None
    # Copied anywhere before sign-out, the token is worth nothing after it.
    assert refused(server, token)


def test_a_revoked_token_sends_the_user_back_to_sign_in(page: Page, server: str) -> None:
    sign_in(page, server, ADMIN, ADMIN_PASSWORD, then="/ingest")
    token = page_token(page)
    assert graphql(server, token, REVOKE, t=token)["data"] == {"revokeToken": True}

    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("token is invalid, expired or used up")
    expect(page.get_by_test_id("who")).to_have_count(0)

    # Signing in again goes back where the user was heading.
    fill_sign_in(page, ADMIN, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    expect(page).to_have_url(re.compile("#/admin$"))
