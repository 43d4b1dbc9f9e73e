"""``jpkitool doctor``: pcscd → readers → card → JPKI application, first missing link named.

``doctor --report PATH``: instead, a read-only report of how the card and the reader
answer (:mod:`jpki.report`, ``docs/reporting.md``), recorded to PATH (the rule of
:mod:`apdu.outfile`, personal data hidden, PIN bytes always ``XX``) and summed up on
stdout (on stderr when PATH is ``-``; ``--json`` for a JSON document).
``--report-with-pin 1|4`` adds the PIN probe, with the count read, refused and the
value asked as ``verify-pin`` does (:func:`jpki.cli.commands.pins.ask_checked`).
"""

from __future__ import annotations

import click

from ...diagnosis import diagnose, diagnose_transport
from ...words.doctor import lines
from ..context import AppContext
from ..failures import Exit, UsageFailure, finish

#: The exit status of a failure, by its code (the rest: no card, 5).
EXITS = {"busy": Exit.ERROR, "card-error": Exit.ERROR, "several": Exit.USAGE}


@click.command("doctor")
@click.option("--report", "report_path", metavar="PATH")
@click.option("--report-with-pin", "report_pin", type=click.Choice(["1", "4"]))
@click.pass_obj
def command(app: AppContext, report_path: str | None, report_pin: str | None) -> None:
    if report_path is not None:
        from . import report as report_command

        report_command.run(app, report_path, report_pin)
        return
    if report_pin is not None:
        raise UsageFailure("usage.report_pin_needs_report")
    if app.options.emulator or app.options.replay:
        with app.transport() as transport:
            diagnosis = diagnose_transport(transport)
    else:
        diagnosis = diagnose(app.options.reader, app.options.timeout)
    app.show(diagnosis.to_dict(), lambda: lines(diagnosis))
    if diagnosis.failed is not None:
        finish(EXITS.get(diagnosis.failed.code, Exit.NO_CARD))
