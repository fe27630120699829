"""Region codes: validation, aliases, and "is this place inside that one".

A region is an ISO 3166-1 alpha-2 country code (``CA``), an ISO 3166-2
subdivision (``CA-QC``), or a group: ``EU`` (the 27 member states) and ``EEA``
(EU plus Iceland, Liechtenstein, Norway). Codes are case-insensitive and
stored upper-case. A policy file may map other names (cloud regions such as
``ca-central-1``) onto codes with its ``regions:`` table.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

__all__ = ["GROUPS", "RegionError", "is_within", "normalize_region", "overlaps"]

_COUNTRIES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ
    BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR
    CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
    SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR
    TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)
_EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE "
    "SI SK".split()
)
GROUPS: Mapping[str, frozenset[str]] = {"EU": _EU, "EEA": _EU | {"IS", "LI", "NO"}}
"""Region groups and the countries they contain."""

_SUBDIVISION = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")
# Common non-ISO spellings people reach for first.
_FAMILIAR = {"UK": "GB", "EN": "GB", "USA": "US", "CAN": "CA", "EUROPE": "EU"}


class RegionError(ValueError):
    """A text is not a region code (the message says what would be)."""


def normalize_region(text: str, aliases: Mapping[str, str] | None = None) -> str:
    """Return the canonical (upper-case) code of ``text``.

    Args:
        text: ``CA``, ``ca-qc``, ``EU``, or a name in ``aliases``.
        aliases: lower-case names -> codes (a policy file's ``regions:``).

    Raises:
        RegionError: not a code and not an alias; the message suggests one.

    Example:
        >>> normalize_region("ca-central-1", {"ca-central-1": "CA"})
        'CA'
    """
    raw = str(text).strip()
    if aliases and raw.lower() in aliases:
        return aliases[raw.lower()]
    code = raw.upper()
    if code in _COUNTRIES or code in GROUPS:
        return code
    sub = _SUBDIVISION.match(code)
    if sub and sub.group(1) in _COUNTRIES:
        return code
    raise RegionError(f"{raw!r} is not a region code{_suggest(code)}")


def _suggest(code: str) -> str:
    if code in _FAMILIAR:
        return f": use {_FAMILIAR[code]!r}"
    close = difflib.get_close_matches(code, sorted(_COUNTRIES | set(GROUPS)), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close and len(code) <= 3 else ""
    return (
        f"{hint}. Use an ISO 3166 country code like 'CA', a subdivision like "
        "'CA-QC', a group ('EU', 'EEA'), or map the name in the policy file's "
        "`regions:` table"
    )


def _atoms(code: str) -> frozenset[str]:
    return GROUPS.get(code, frozenset({code}))


def _country(atom: str) -> str:
    return atom.split("-", 1)[0]


def is_within(region: str, allowed: Iterable[str]) -> bool:
    """True when every place ``region`` may be lies inside one of ``allowed``.

    ``CA-QC`` is within ``CA``; ``FR`` is within ``EU``; ``CA`` is not within
    ``CA-QC`` (it may be elsewhere in Canada). Codes must be normalized.

    Example:
        >>> is_within("CA-QC", ["CA"]), is_within("US", ["CA"])
        (True, False)
    """
    covered = [_atoms(a) for a in allowed]
    return all(
        any(atom in group or _country(atom) in group for group in covered)
        for atom in _atoms(region)
    )


def overlaps(first: str, second: str) -> bool:
    """True when two regions may be the same place (``CA`` and ``CA-QC``).

    Example:
        >>> overlaps("EU", "FR"), overlaps("CA-QC", "CA-ON")
        (True, False)
    """
    return any(
        a == b or _country(a) == b or a == _country(b)
        for a in _atoms(first)
        for b in _atoms(second)
    )
