"""``jpkitool ui``: jpkitool as a page in the user's own browser, served on 127.0.0.1.

The library's second client, beside the CLI: it reads the card through :mod:`jpki`
and words it with the CLI's catalogues (:mod:`jpki.i18n`), never through click.
:mod:`.source` reads the card (or the diagnosis), :mod:`.page` writes the HTML,
:mod:`.guard` is the security every request passes, :mod:`.app` the routes and
:mod:`.server` the uvicorn server. Starlette and uvicorn are the optional extra
``jpkitool[ui]``: importing this package imports neither; its modules do.
"""
