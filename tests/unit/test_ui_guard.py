"""``jpkitool ui``'s guard: the token, the cookie, the Host, POSTs and the headers of
every response (jpki.ui.guard), through Starlette's TestClient on the virtual card."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from jpki.i18n import t
from jpki.ui.guard import HEADERS, WELCOME, Guard, Secrets
from ui_client import BASE, PORT, client_for, emulated, post, signed_in, text_of

HEADER_NAMES = [name.decode() for name, _ in HEADERS]


# -- the token, the cookie, the Host --------------------------------------------------


def test_the_token_is_exchanged_for_a_strict_host_only_cookie_and_a_303() -> None:
    client, keys = client_for(emulated())
    got = client.get(f"/?token={keys.token}")
    assert got.status_code == 303 and got.headers["location"] == "/"
    cookie = got.headers["set-cookie"]
    assert cookie.startswith(f"jpkitool-{PORT}={keys.session};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "domain" not in cookie.lower() and keys.token not in cookie
    shown = client.get("/")
    assert shown.status_code == 200 and "5/5" in shown.text


def test_the_token_is_spent_by_its_first_use() -> None:
    client, keys = client_for(emulated())
    assert client.get(f"/?token={keys.token}").status_code == 303
    other = TestClient(client.app, base_url=BASE, follow_redirects=False)
    assert other.get(f"/?token={keys.token}").status_code == 403
    assert other.get("/").status_code == 401


def test_the_token_posted_by_the_redirect_file_is_exchanged_once_whatever_the_origin() -> None:
    """The file the browser is opened with posts the token (its origin is ``null``):
    the token is the proof, so no Origin or CSRF is asked; a wrong or spent one is
    refused, and a token in the address of a POST is not taken."""
    client, keys = client_for(emulated())
    file_page = {"origin": "null", "sec-fetch-site": "cross-site"}
    assert client.post("/signin", data={"token": "wrong"}, headers=file_page).status_code == 403
    assert client.post(f"/signin?token={keys.token}", headers=file_page).status_code == 403
    assert client.post("/signin", headers=file_page).status_code == 403
    got = client.post("/signin", data={"token": keys.token}, headers=file_page)
    assert got.status_code == 303 and got.headers["location"] == WELCOME
    assert got.headers["set-cookie"].startswith(f"jpkitool-{PORT}={keys.session};")
    assert client.get("/").status_code == 200
    other = TestClient(client.app, base_url=BASE, follow_redirects=False)
    assert other.post("/signin", data={"token": keys.token}).status_code == 403
    assert other.get(f"/?token={keys.token}").status_code == 403
    assert other.get("/").status_code == 401


def test_the_welcome_page_needs_no_cookie_and_moves_on_to_the_page() -> None:
    """A SameSite=Strict cookie is not sent on a navigation another site (the ``file:``
    redirect file) began: the 303's target is served without it and moves on to
    ``/`` by itself, which then carries the cookie. It shows nothing of the card."""
    client, keys = client_for(emulated())
    got = client.get(WELCOME)
    assert got.status_code == 200
    assert '<meta http-equiv="refresh" content="0;url=/">' in got.text
    assert "5/5" not in got.text and keys.csrf not in got.text and keys.token not in got.text
    assert client.post(WELCOME, headers={"origin": BASE}).status_code == 401


@pytest.mark.parametrize("path", ["/", "/static/page.css", "/?token=wrong", "/welcome/x"])
def test_without_the_token_or_cookie_nothing_is_served(path: str) -> None:
    client, _ = client_for(emulated())
    got = client.get(path)
    assert got.status_code in (401, 403)
    assert "5/5" not in got.text and "body" not in got.text


@pytest.mark.parametrize("host", [f"evil.example:{PORT}", "127.0.0.1", f"localhost:{PORT + 1}"])
def test_a_wrong_host_is_refused_even_with_the_token_or_the_cookie(host: str) -> None:
    client, keys = client_for(emulated())
    assert client.get(f"/?token={keys.token}", headers={"host": host}).status_code == 421
    assert client.get(f"/?token={keys.token}").status_code == 303  # the token is unspent
    assert client.get("/", headers={"host": host}).status_code == 421


def test_localhost_is_a_host_too() -> None:
    client, _ = signed_in()
    # The cookie is 127.0.0.1's: a browser would not send it to localhost; httpx neither.
    cookie = {"cookie": f"jpkitool-{PORT}={client.cookies.get(f'jpkitool-{PORT}')}"}
    got = client.get("/", headers={"host": f"localhost:{PORT}", **cookie})
    assert got.status_code == 200


# -- state changes: POST, Origin, CSRF --------------------------------------------------


def test_a_post_needs_its_origin_and_the_csrf_token() -> None:
    client, keys = signed_in()
    good = {"csrf": keys.csrf, "lang": "en"}
    assert post(client, "/lang", good).status_code == 403  # no Origin
    assert post(client, "/lang", good, origin="http://evil.example").status_code == 403
    assert post(client, "/lang", good, origin=f"http://localhost:{PORT}").status_code == 403
    assert post(client, "/lang", good, origin="null").status_code == 403
    cross = {"origin": "null", "sec-fetch-site": "cross-site"}
    assert post(client, "/lang", good, **cross).status_code == 403
    assert post(client, "/lang", good, **{"sec-fetch-site": "same-origin"}).status_code == 403
    assert post(client, "/lang", {"lang": "en"}, origin=BASE).status_code == 403
    bad = {"csrf": keys.csrf[:-1], "lang": "en"}
    assert post(client, "/lang", bad, origin=BASE).status_code == 403
    assert "利用可" in client.get("/").text  # nothing changed
    assert post(client, "/lang", good, origin=BASE).status_code == 303
    assert "usable" in client.get("/").text


def test_a_browsers_null_origin_is_taken_with_its_same_origin_fetch_site() -> None:
    """Under Referrer-Policy: no-referrer, Chromium sends ``Origin: null`` with a form
    POST of the page itself (the browser test sees it)."""
    client, keys = signed_in()
    browser = {"origin": "null", "sec-fetch-site": "same-origin"}
    assert post(client, "/lang", {"lang": "en"}, **browser).status_code == 403  # no CSRF
    assert post(client, "/lang", {"csrf": keys.csrf, "lang": "en"}, **browser).status_code == 303


def test_other_methods_and_large_bodies_are_refused() -> None:
    client, keys = signed_in()
    assert client.put("/lang", headers={"origin": BASE}).status_code == 405
    big = {"csrf": keys.csrf, "x": "0" * 20_000}
    assert post(client, "/lang", big, origin=BASE).status_code == 413


def test_the_token_is_exchanged_by_a_get_only() -> None:
    client, keys = client_for(emulated())
    posted = client.post(f"/?token={keys.token}", data={"csrf": keys.csrf})
    assert posted.status_code == 401
    assert client.get(f"/?token={keys.token}").status_code == 303


def test_a_cross_site_post_without_the_cookie_is_refused() -> None:
    client, keys = client_for(emulated())
    fields = {"csrf": keys.csrf}
    assert post(client, "/quit", fields, origin=BASE).status_code == 401


def test_quit_stops_the_server_only_through_a_guarded_post() -> None:
    stops: list[bool] = []
    client, keys = signed_in(on_quit=lambda: stops.append(True))
    assert post(client, "/quit", {"csrf": keys.csrf}).status_code == 403
    assert client.get("/quit").status_code == 405 and stops == []
    got = post(client, "/quit", {"csrf": keys.csrf}, origin=BASE)
    assert got.status_code == 200 and stops == [True]
    assert t("ui.stopped", "ja") in text_of(got)


# -- the headers of every response ------------------------------------------------------


def every_kind_of_response() -> Iterator[httpx.Response]:
    client, keys = client_for(emulated())
    origin = {"origin": "http://evil.example"}
    yield client.get("/", headers=origin)  # 401
    yield client.get("/", headers={"host": "evil.example"})  # 421
    yield client.get("/?token=wrong")  # 403
    yield client.get(f"/?token={keys.token}", headers=origin)  # 303
    yield client.get("/", headers=origin)  # the page
    yield client.options("/", headers={**origin, "access-control-request-method": "POST"})
    yield client.get("/static/tokens.css")
    yield client.get("/static/nothing.css")  # 404
    yield client.get("/nothing")  # 404
    yield post(client, "/lang", {"csrf": keys.csrf, "lang": "en"}, origin=BASE)  # 303


def test_every_response_carries_the_security_headers_and_no_cors() -> None:
    statuses = []
    for got in every_kind_of_response():
        statuses.append(got.status_code)
        for name in HEADER_NAMES:
            assert name in got.headers, (got.status_code, name)
        assert not [h for h in got.headers if h.lower().startswith("access-control-")]
        csp = got.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "base-uri 'none'" in csp and "form-action 'self'" in csp
        assert got.headers["cache-control"] == "no-store"
        assert got.headers["referrer-policy"] == "no-referrer"
    assert statuses == [401, 421, 403, 303, 200, 405, 200, 404, 404, 303]


def test_the_page_loads_nothing_from_elsewhere() -> None:
    client, _ = signed_in()
    shown = client.get("/").text
    assert "http" not in shown.replace('href="/', "")
    assert "style=" not in shown
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", shown, re.S)
    assert scripts and all(
        re.fullmatch(r' src="/static/[a-z]+\.js" defer', tag) and not inline
        for tag, inline in scripts
    )
    assert shown.count("<script") == len(scripts)
    css = client.get("/static/tokens.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "MIT License" in css.text and "デジタル庁" in css.text


def test_a_head_request_does_not_spend_the_token() -> None:
    """A link preview or prefetch sends HEAD: the token stays for the user's GET."""
    client, keys = client_for(emulated())
    assert client.head(f"/?token={keys.token}").status_code == 401
    assert client.get(f"/?token={keys.token}").status_code == 303


def test_refused_requests_do_not_keep_the_server_awake() -> None:
    """Only a signed-in request counts for the idle stop: another site's page or a
    rebinding probe polling the port must not keep the server up forever."""
    now = [0.0]

    async def page(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    keys = Secrets()
    guard = Guard(page, PORT, keys, b"", clock=lambda: now[0])
    client = TestClient(guard, base_url=BASE, follow_redirects=False)
    now[0] = 100.0
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"host": f"evil.example:{PORT}"}).status_code == 421
    assert client.get(WELCOME).status_code == 200
    assert guard.last_request == 0.0
    assert client.get(f"/?token={keys.token}").status_code == 303
    now[0] = 200.0
    assert client.get("/").status_code == 200
    assert guard.last_request == 200.0
