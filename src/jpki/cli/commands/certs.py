"""``jpkitool cert show|export`` and ``jpkitool expiry``: the card's certificates.

The auth certificate and the CA certificates need no PIN. The sign certificate
needs ①: asked as ``verify-pin`` asks it (count first, the same guards), then
verified and read in one transaction that ends with a card reset.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from typing import Any

import click

from apdu import outfile

from ... import profile
from ...card import MyNumberCard
from ...cardcerts import KINDS, CardCertificate, read_certificate, read_chain
from ...certificate import CertificateInfo
from ...expiry import ExpiryReport, read_expiry
from ...i18n import t, tn
from ...pinplan import PinPlan
from ...schema import nested
from ...words.certs import Fits, show_lines
from ...words.expiry import advice, item_line
from ...words.pins import card_left_lines
from ..context import AppContext, emit_json
from ..failures import UsageFailure, finish
from ..wrap import output_width, width
from .info import STATE_EXIT, warn_days_option
from .pins import (
    accept_unknown_count_option,
    ask_checked,
    finish_left,
    force_option,
    report_failure,
)

# -- reading with ① when needed --------------------------------------------------------


@contextlib.contextmanager
def certificate_session(
    app: AppContext,
    needs_sign: bool,
    force: bool,
    accept_unknown_count: bool,
    absent_ok: bool = False,
) -> Iterator[tuple[MyNumberCard, dict[str, Any]]]:
    """The card in one transaction, and for the sign certificate ① asked first as
    verify-pin asks it (with its ``--force`` and ``--accept-unknown-count``), with the
    arguments that give ① to the reading functions (``sign_pin`` and those two).
    ``absent_ok``: a card without sign certificate asks nothing."""
    with app.card(transaction=False, may_change=needs_sign) as card:
        plan: PinPlan | None = None
        if needs_sign and absent_ok:
            with card.transaction():
                card.require_jpki()
                needs_sign = card.sign_certificate_present() is not False
        if needs_sign:
            plan = ask_checked(app, card, profile.SIGN, (), force, accept_unknown_count)
        sign_pin = None if plan is None else plan.currents[profile.SIGN.id].decode("ascii")
        pin = {"sign_pin": sign_pin, "force": force, "accept_unknown_count": accept_unknown_count}
        try:
            with card.transaction():
                yield card, pin
        except Exception as exc:  # with ① in play, say whether it was sent
            report_failure(app, card, exc, None if plan is None else "verify")


def left_lines(card: MyNumberCard) -> list[str]:
    return card_left_lines(card.card_left, card.left_steps)


# -- cert show ------------------------------------------------------------------------


def fits() -> Fits:
    """Whether a line fits the output's width (None: no limit, not a terminal)."""
    limit = output_width()
    return None if limit is None else lambda line: width(line) <= limit


def export_json(cert: CardCertificate, form: str, data: bytes, path: str | None) -> dict[str, Any]:
    """``cert export --json``: where the certificate went, or (``path`` None) the
    certificate itself, as PEM text or base64 DER as ``form`` says."""
    doc: dict[str, Any] = {"kind": cert.kind, "format": form, "path": path, "bytes": len(data)}
    if path is None:
        if form == "pem":
            doc["pem"] = data.decode("ascii")
        else:
            doc["der_base64"] = base64.b64encode(data).decode("ascii")
    verified = cert.verified
    doc["verified"] = None if verified is None else nested(verified.to_dict())
    return doc


kind_argument = click.argument("kind", type=click.Choice(KINDS))


@click.group("cert")
def cert_group() -> None:
    """A group: its help is in the catalogues (``help.command.*``)."""


@cert_group.command("show")
@kind_argument
@click.option("--show-personal", is_flag=True)
@force_option
@accept_unknown_count_option
@click.pass_obj
def show_command(
    app: AppContext, kind: str, show_personal: bool, force: bool, accept_unknown_count: bool
) -> None:
    now = app.now()
    with certificate_session(app, kind == "sign", force, accept_unknown_count) as (card, pin):
        # A CA certificate is checked against itself: self-signed, and which root it is.
        chain = read_chain(card, kind, now, **pin)
        cert, result = chain.certificate, chain.result
    app.show(
        cert.to_dict(personal=show_personal),
        lambda: [*show_lines(cert, result, now, show_personal, fits()), *left_lines(card)],
    )
    finish_left(card.card_left)


# -- cert export ----------------------------------------------------------------------


def encode(info: CertificateInfo, form: str) -> bytes:
    if form == "der":
        return info.der
    import ssl  # (on first use: it costs the other commands' start-up)

    return ssl.DER_cert_to_PEM_cert(info.der).encode("ascii")


@cert_group.command("export")
@kind_argument
@click.option(
    "--format", "form", type=click.Choice(["pem", "der"]), default="pem", show_default=True
)
@click.option("-o", "--output", metavar="PATH")
@force_option
@accept_unknown_count_option
@click.pass_obj
def export_command(
    app: AppContext,
    kind: str,
    form: str,
    output: str | None,
    force: bool,
    accept_unknown_count: bool,
) -> None:
    # Where the file may go is decided before the card, and before asking ①.
    overwrite = app.options.overwrite
    record = app.options.record
    if record is not None and outfile.same_target(
        record, outfile.STDOUT if output is None else output
    ):
        raise UsageFailure("usage.same_output")  # the recording and the certificate would mix
    target = None if output is None else outfile.check(output, streams=True, overwrite=overwrite)
    if target is None or target.path == outfile.STDOUT:
        output = None
        app.stdout_is_data = True  # messages about a failure go to stderr
    with certificate_session(app, kind == "sign", force, accept_unknown_count) as (card, pin):
        cert = read_certificate(card, kind, **pin)
    data = encode(cert.info, form)
    if output is not None:
        outfile.write_whole(output, data, overwrite=overwrite)
    if app.options.json:
        emit_json(export_json(cert, form, data, output))
    elif output is not None:
        app.note(tn("cert.written", len(data), path=output, bytes=len(data)))
    else:
        outfile.write_stdout(data)
    if not app.options.json and card.card_left is not None:
        app.note("\n".join(left_lines(card)))
    finish_left(card.card_left)


# -- expiry ---------------------------------------------------------------------------


def expiry_lines(report: ExpiryReport, asked_sign: bool) -> list[str]:
    lines = [item_line(i) for i in report.items]
    if not asked_sign:
        lines.append(t("expiry.sign_hint"))
    what_next = advice(report)
    return lines if what_next is None else [*lines, "", what_next]


@click.command("expiry")
@click.option("--sign", "with_sign", is_flag=True)
@warn_days_option
@force_option
@accept_unknown_count_option
@click.pass_obj
def expiry_command(
    app: AppContext, with_sign: bool, warn_days: int, force: bool, accept_unknown_count: bool
) -> None:
    now = app.now()
    session = certificate_session(app, with_sign, force, accept_unknown_count, absent_ok=True)
    with session as (card, pin):
        report = read_expiry(card, now, warn_days, sign=with_sign, **pin)
    app.show(report.to_dict(), lambda: [*expiry_lines(report, with_sign), *left_lines(card)])
    finish_left(card.card_left)
    finish(STATE_EXIT[report.worst])
