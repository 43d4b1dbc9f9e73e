"""``jpkitool ui``'s server: uvicorn on 127.0.0.1, the address printed, the browser opened.

The socket is bound here, before uvicorn starts, so the port is known (a free one
when 0 is asked) and the address can be printed as stdout's first line at once. The
browser is opened through a redirect file in a private (0700) folder, so the token is
not on any command line a process listing shows; the folder is removed at exit. The
server stops on Ctrl-C, after 終了 (``POST /quit``), or after :data:`IDLE_SECONDS`
without a request. uvicorn's access log is off and its log level is ``warning``: no
request line, header or token is logged.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import tempfile
import threading
import webbrowser
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import TextIO

import uvicorn

from . import app
from .guard import Guard, Secrets
from .source import CardSource

HOST = "127.0.0.1"
IDLE_SECONDS = 15 * 60


def listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1 (``port`` 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
        sock.listen(16)
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def redirect_file(address: str) -> Iterator[Path]:
    """An HTML file that posts ``address``'s token to the server (``POST /signin``),
    so that the token is in no address the browser keeps (history, open tabs), in a
    folder only this user can read (``mkdtemp`` makes it 0700); both removed at the
    end. Without JavaScript its button does the same."""
    base, _, token = address.partition("/?token=")
    folder = Path(tempfile.mkdtemp(prefix="jpkitool-ui-"))
    try:
        path = folder / "open.html"
        path.write_text(
            '<!DOCTYPE html><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
            f'<form method="post" action="{escape(base)}/signin">'
            f'<input type="hidden" name="token" value="{escape(token)}">'
            '<button type="submit">jpkitool</button></form>'
            "<script>document.forms[0].submit()</script>\n",
            "utf-8",
        )
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def watch_idle(
    server: uvicorn.Server,
    guard: Guard,
    done: threading.Event,
    idle: float = IDLE_SECONDS,
    every: float = 30.0,
) -> None:
    """Stop ``server`` once no request came for ``idle`` seconds (looked at ``every``
    seconds, until ``done`` is set)."""
    while not done.wait(every):
        if guard.clock() - guard.last_request >= idle:
            server.should_exit = True
            return


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: uvicorn raises it again after its shutdown, and the
    redirect folder must still be removed."""
    raise KeyboardInterrupt


def serve(
    source: CardSource,
    lang: str,
    port: int,
    out: TextIO,
    open_browser: bool,
    browse: Callable[[str], object] = webbrowser.open,
    experimental: bool = False,
) -> None:
    """Serve the page until Ctrl-C, 終了 or idleness; the address is ``out``'s first line."""
    sock = listen(port)
    port = sock.getsockname()[1]
    keys = Secrets()

    def quit() -> None:  # 終了: after the answer is sent, uvicorn stops
        server.should_exit = True

    guard = app.build(source, lang, port, quit, keys, experimental)
    config = uvicorn.Config(
        guard, log_level="warning", access_log=False, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    done = threading.Event()
    idle = threading.Thread(target=watch_idle, args=(server, guard, done), daemon=True)
    with contextlib.ExitStack() as stack:
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, interrupt)
            stack.callback(signal.signal, signal.SIGTERM, previous)
        address = f"http://{HOST}:{port}/?token={keys.token}"
        out.write(address + "\n")
        out.flush()
        if open_browser:
            browse(stack.enter_context(redirect_file(address)).as_uri())
        idle.start()
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            done.set()
            sock.close()
