"""The page's routes, a Starlette application behind :class:`jpki.ui.guard.Guard`.

``GET /``: the page (:mod:`jpki.ui.page`), the card read afresh. ``GET /status``: the
readers' state as JSON, without the card (:mod:`jpki.ui.live`). ``GET /static/NAME``:
the two stylesheets and the script, served from this package (nothing comes from
elsewhere).
``POST /lang``: the page's language (``lang=ja|en``), kept by the server, which has one
user. ``POST /quit``: the server stops after answering. The guard has checked the
Host, the cookie, and for a POST its Origin and CSRF token before any of these runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..i18n import LANGUAGES
from . import page
from .guard import Guard, Secrets
from .source import CardSource

STATIC = Path(__file__).resolve().parent / "static"
#: What ``/static/`` serves, with its media type.
FILES = {
    "tokens.css": "text/css; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "live.js": "text/javascript; charset=utf-8",
}


class Page:
    """The page's state: the card, the language, and what 終了 calls."""

    def __init__(
        self, source: CardSource, lang: str, csrf: str, on_quit: Callable[[], None]
    ) -> None:
        self.source = source
        self.lang = lang
        self.csrf = csrf
        self.on_quit = on_quit
        self.files = {name: (STATIC / name).read_bytes() for name in FILES}

    def show(self, request: Request) -> Response:
        seen = self.source.look()  # before the reading: a change while reading shows
        return HTMLResponse(page.render(self.source.read(), self.lang, self.csrf, seen))

    def status(self, request: Request) -> Response:
        return JSONResponse(self.source.look())

    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type=FILES[name])

    async def switch(self, request: Request) -> Response:
        wanted = parse_qs((await request.body()).decode("latin-1")).get("lang", [""])[0]
        if wanted in LANGUAGES:
            self.lang = wanted
        return RedirectResponse("/", status_code=303)

    def quit(self, request: Request) -> Response:
        self.on_quit()
        return HTMLResponse(page.stopped(self.lang))


def build(
    source: CardSource,
    lang: str,
    port: int,
    on_quit: Callable[[], None],
    keys: Secrets | None = None,
) -> Guard:
    """The whole application for a server on ``port``: the routes behind the guard."""
    keys = keys or Secrets()
    state = Page(source, lang, keys.csrf, on_quit)
    routes = [
        Route("/", state.show, methods=["GET"]),
        Route("/status", state.status, methods=["GET"]),
        Route("/static/{name}", state.static, methods=["GET"]),
        Route("/lang", state.switch, methods=["POST"]),
        Route("/quit", state.quit, methods=["POST"]),
    ]
    return Guard(Starlette(routes=routes), port, keys)
