"""The local page's guard: an ASGI middleware every request passes before the page.

A server on 127.0.0.1 is reachable by every program of the machine and, through the
user's browser, by every web site the user visits: a site can send a cross-site form
POST (CORS does not stop it), and a name it controls can resolve to 127.0.0.1 (DNS
rebinding). So, for every request, GETs included:

- the ``Host`` must be exactly ``127.0.0.1:PORT`` or ``localhost:PORT``, else 421
  (a rebound name carries its own host name);
- the one-time token (256 bits from :mod:`secrets`, compared with
  :func:`hmac.compare_digest`), in the printed address (``GET /?token=...``) or
  posted by the redirect file the browser is opened with (``POST /signin``, so that
  it is in no address the browser keeps), is exchanged once for a session cookie
  (HttpOnly, SameSite=Strict, no Domain: this host only) and answered by a 303 to
  ``/`` (the posted one: to :data:`WELCOME`); a spent or wrong token is refused
  (403), and a request without the cookie too (401), but for :data:`WELCOME`;
- a state change is a POST with an ``Origin`` equal to ``http://`` + its ``Host``
  (missing: refused; ``null`` only as :func:`same_origin` says) and the form field
  ``csrf`` equal to the session's CSRF token;
  any other method than GET, HEAD and POST is refused (405);
- every response, refusals included, carries the headers of :data:`HEADERS`, and no
  ``Access-Control-*`` header ever leaves.

It also notes when the last request came (:attr:`Guard.last_request`) for the idle stop;
the page's script asking for ``/status`` by itself (:data:`UNATTENDED`) does not count,
so a tab forgotten open does not keep the server up.
Nothing here logs: a request's headers and the tokens never reach a log.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: ``default-src 'none'``, then only what the page uses, from this server alone.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode(), value.encode())
    for name, value in (
        ("content-security-policy", CSP),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    )
)
#: The requests a page's script makes with nobody at it: not use, for the idle stop.
UNATTENDED = frozenset({"/status"})
#: A form is a few fields: a larger body is refused unread.
MAX_BODY = 16 * 1024
#: Where the posted token's 303 leads: a page that needs no cookie and moves on to
#: ``/``. A SameSite=Strict cookie is not sent on a navigation another site began (the
#: redirect file is a ``file:`` page), so ``/`` itself would be refused there (seen in
#: Chromium 156); a move begun by this page is same-site, and the cookie goes with it.
#: The printed address, opened by hand, is no other site's: its 303 goes to ``/``.
WELCOME = "/welcome"


def new_secret() -> str:
    """256 bits from :mod:`secrets`, URL-safe."""
    return secrets.token_urlsafe(32)


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class Secrets:
    """The address's one-time token, the session cookie's value and the CSRF token:
    three different values, so that none of them tells another."""

    token: str = field(default_factory=new_secret)
    session: str = field(default_factory=new_secret)
    csrf: str = field(default_factory=new_secret)
    token_spent: bool = False


class Guard:
    """The middleware; ``port`` is the one the server listens on."""

    def __init__(
        self,
        app: ASGIApp,
        port: int,
        keys: Secrets,
        welcome: bytes,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.keys = keys
        self.welcome = welcome  # the HTML of WELCOME
        self.hosts = (f"127.0.0.1:{port}", f"localhost:{port}")
        self.cookie_name = f"jpkitool-{port}"  # cookies ignore ports: one name a port
        self.clock = clock
        self.last_request = clock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # no websocket: the connection is dropped unanswered
        send = with_headers(send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host not in self.hosts:
            return await refuse(send, 421)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        signed_in = self.has_cookie(headers.get("cookie", ""))
        method, path = scope["method"], scope["path"]
        if "token" in query and method == "GET":  # not HEAD: a link preview
            return await self.exchange(send, query["token"][0], signed_in, "/")
        if path == "/signin" and method == "POST":
            body = await read_body(receive)
            form = parse_qs((body or b"").decode("latin-1"))
            return await self.exchange(send, form.get("token", [""])[0], signed_in, WELCOME)
        if path == WELCOME and method == "GET":
            return await html(send, self.welcome)
        if not signed_in:
            return await refuse(send, 401)
        if path not in UNATTENDED:  # nor refused ones: neither is someone's use
            self.last_request = self.clock()
        if method in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        if method != "POST":
            return await refuse(send, 405)
        if not same_origin(headers, host):
            return await refuse(send, 403)
        body = await read_body(receive)
        if body is None:
            return await refuse(send, 413)
        csrf = parse_qs(body.decode("latin-1")).get("csrf", [""])[0]
        if not same(csrf, self.keys.csrf):
            return await refuse(send, 403)
        await self.app(scope, replay(body), send)

    def has_cookie(self, header: str) -> bool:
        cookies = SimpleCookie()
        try:
            cookies.load(header)
        except Exception:  # a malformed Cookie header is no cookie
            return False
        morsel = cookies.get(self.cookie_name)
        return morsel is not None and same(morsel.value, self.keys.session)

    async def exchange(self, send: Send, token: str, signed_in: bool, to: str) -> None:
        """The cookie for an unspent, matching token, and a 303 to ``to``."""
        if signed_in:
            return await see_other(send, to, [])
        if self.keys.token_spent or not same(token, self.keys.token):
            return await refuse(send, 403)
        self.keys.token_spent = True
        cookie = f"{self.cookie_name}={self.keys.session}; Path=/; HttpOnly; SameSite=Strict"
        await see_other(send, to, [(b"set-cookie", cookie.encode())])


def same_origin(headers: dict[str, str], host: str) -> bool:
    """Whether a POST comes from this page: its ``Origin`` is ``http://`` + ``host``.

    Under ``Referrer-Policy: no-referrer`` a browser sends ``Origin: null`` with its
    POSTs (Fetch: a request's origin is serialized as ``null`` under that policy), so
    ``null`` is taken when the browser also says ``Sec-Fetch-Site: same-origin``:
    neither header can be set by a page, and a cross-site request says
    ``cross-site``. A missing ``Origin`` is refused.
    """
    origin = headers.get("origin", "")
    if origin == "null":
        return headers.get("sec-fetch-site") == "same-origin"
    return same(origin, f"http://{host}")


def with_headers(send: Send) -> Send:
    """``send`` with :data:`HEADERS` set, and any ``Access-Control-*`` dropped."""
    ours = {name for name, _ in HEADERS}

    async def guarded(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [
                (k, v)
                for k, v in message.get("headers", [])
                if k.lower() not in ours and not k.lower().startswith(b"access-control-")
            ]
            message = {**message, "headers": [*kept, *HEADERS]}
        await send(message)

    return guarded


async def refuse(send: Send, status: int) -> None:
    body = f"{status}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def see_other(send: Send, to: str, headers: list[tuple[bytes, bytes]]) -> None:
    location = to.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location), (b"content-length", b"0"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def html(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes | None:
    """The request's body; None when it is over :data:`MAX_BODY`."""
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if len(body) > MAX_BODY:
            return None
        if not message.get("more_body", False):
            return body


def replay(body: bytes) -> Receive:
    """A ``receive`` that gives the body read by the guard to the page."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
