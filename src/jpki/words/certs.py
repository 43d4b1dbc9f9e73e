"""A certificate of the card in words: ``jpkitool cert show``, the page's details."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .. import certfacts
from ..cardcerts import CardCertificate, hide_localities
from ..certificate import SEXES, CertificateInfo
from ..chain import ChainResult, ChainStatus
from ..i18n import t
from ..jst import days_left
from .expiry import both_zones, days_text

#: Whether a line fits the width it is shown in (None: any line fits).
Fits = Callable[[str], bool] | None


def fingerprint_lines(
    key: str, fp: str, fits: Fits = None, indent: str = "", lang: str | None = None
) -> list[str]:
    """``key``'s line with the fingerprint ``fp``; where it does not fit, the
    fingerprint goes below in two lines of hex pairs (the first ends with ``:``)."""
    line = indent + t(key, lang, value=fp)
    if fits is None or fits(line):
        return [line]
    pairs = fp.split(":")
    half = (len(pairs) + 1) // 2
    return [
        indent + t(key, lang, value="").rstrip(),
        f"{indent}  {':'.join(pairs[:half])}:",
        f"{indent}  {':'.join(pairs[half:])}",
    ]


def chain_lines(
    result: ChainResult, fits: Fits = None, indent: str = "", lang: str | None = None
) -> list[str]:
    """The chain's result, then the CA's fingerprint (a J-LIS root's, or the card's own
    CA that is none), indented under it."""
    status = result.status
    root = result.root
    fp: str | None = None
    if status is ChainStatus.JLIS and root is not None:
        key = "cert.chain.j-lis" if root.pinned else "cert.chain.j-lis-unpinned"
        purpose = t(f"cert.purpose.{root.purpose}", lang)
        lines = [t(key, lang, purpose=purpose, gen=root.generation)]
        fp = root.sha256
    else:
        lines = [t(f"cert.chain.{status.value}", lang)]
        if status is ChainStatus.NOT_JLIS_ROOT:
            fp = result.ca_sha256
    lines = [indent + line for line in lines]
    if fp:
        lines += fingerprint_lines("cert.chain.ca_sha256", fp, fits, indent + "  ", lang)
    if result.root_expired:
        lines.append(indent + t("cert.chain.root_expired", lang))
    return lines


def show_lines(
    cert: CardCertificate,
    chain: ChainResult | None,
    now: dt.datetime,
    show_personal: bool,
    fits: Fits = None,
    lang: str | None = None,
) -> list[str]:
    """``cert show``'s text; the sign certificate's personal data only if
    ``show_personal``."""
    info = cert.info
    left = days_left(info.not_after, now)
    lines = [
        t("cert.title", lang, kind=t(f"cert.kind.{cert.kind}", lang)),
        t("cert.subject", lang, value=subject_text(cert, show_personal, lang)),
        t("cert.issuer", lang, value=info.issuer),
        t("cert.serial", lang, value=f"{info.serial:X}"),
        t("cert.not_before", lang, value=both_zones(info.not_before)),
        t(
            "cert.not_after_expired" if left < 0 else "cert.not_after",
            lang,
            value=both_zones(info.not_after),
            days=days_text(left, lang),
        ),
        t("cert.key", lang, type=info.key_type, bits=info.key_bits),
        *fingerprint_lines("cert.sha256", info.sha256, fits, lang=lang),
    ]
    if chain is not None:
        lines += [t("cert.chain.title", lang), *chain_lines(chain, fits, "  ", lang)]
    if info.personal is not None:
        if show_personal:
            for name, value in personal_fields(info, lang).items():
                lines.append(t(f"cert.personal.{name}", lang, value=value or "-"))
        else:
            lines.append(t("cert.personal.hidden", lang))
    return lines


#: The era of a birth date (:attr:`jpki.certificate.PersonalFields.era`), as written.
ERA_NAMES = {era.name: era.name_ja for era in certfacts.ERAS}


def subject_text(cert: CardCertificate, show_personal: bool, lang: str | None = None) -> str:
    """The subject; the sign certificate's localities (from the holder's address) are
    hidden unless asked for."""
    if cert.info.personal is None or show_personal:
        return cert.info.subject
    return hide_localities(cert.info.subject, t("cert.personal.hidden_value", lang))


def personal_fields(info: CertificateInfo, lang: str | None = None) -> dict[str, str | None]:
    """Name, address, birth date (``YYYY-MM-DD (era)``) and sex, decoded."""
    p = info.personal
    assert p is not None
    birth = p.birth_date
    if p.birth_day is not None:
        era = ERA_NAMES.get(p.era or "")
        birth = p.birth_day + (f" ({era})" if era else "")
    sex = p.sex_name
    sex = t(f"cert.sex.{sex}", lang) if sex in SEXES.values() else sex
    return {"name": p.name, "address": p.address, "birth_date": birth, "sex": sex}
