"""The sentences both clients show for the library's data, in either language.

The library gives codes and facts (:func:`jpki.retries.guidance`,
:mod:`jpki.diagnosis`, :mod:`jpki.expiry`, :mod:`jpki.pinresult`); this package
renders them with the message catalogues (:mod:`jpki.i18n`), for the command line
(:mod:`jpki.cli`) and the local page (:mod:`jpki.ui`) alike. Every function takes
``lang``; None is the current language (the CLI's), the page passes its own. No
click, no web framework.
"""
