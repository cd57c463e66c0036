"""Names people read are what they look like: no invisible or direction-changing
characters, and compatibility forms folded (NFKC)."""

from __future__ import annotations

import pytest

from openscf.domain.errors import InvalidRequest
from openscf.domain.validation import check_name

# "Evil Bank" that displays as "Evil knaB" ... or a supplier spoofing another by a
# zero-width character: each looks like an ordinary name on a screen.
SPOOFS = {
    "right-to-left override": "Acme \u202eHGmbH",
    "left-to-right override": "Acme \u202dGmbH",
    "right-to-left embedding": "Acme \u202bGmbH",
    "pop directional formatting": "Acme GmbH\u202c",
    "first strong isolate": "Acme \u2068GmbH\u2069",
    "right-to-left isolate": "\u2067Acme GmbH",
    "left-to-right mark": "Acme\u200e GmbH",
    "right-to-left mark": "Acme\u200f GmbH",
    "arabic letter mark": "Acme\u061c GmbH",
    "zero-width space": "Ac\u200bme GmbH",
    "zero-width non-joiner": "Ac\u200cme GmbH",
    "zero-width joiner": "Ac\u200dme GmbH",
    "word joiner": "Acme\u2060 GmbH",
    "byte order mark": "\ufeffAcme GmbH",
    "soft hyphen": "Ac\u00adme GmbH",
    "hangul filler": "Acme \u3164GmbH",
    "line separator": "Acme\u2028GmbH",
    "escape": "Acme \x1b[31mGmbH",
}


@pytest.mark.parametrize("name", SPOOFS.values(), ids=SPOOFS.keys())
def test_names_with_invisible_or_direction_changing_characters_are_refused(name: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_name(name, "an organisation")
    assert refused.value.code == "invalid_name" and refused.value.param == "name"
    assert "\n" not in refused.value.message and "U+" in refused.value.message


def test_names_are_folded_to_their_plain_letters_and_trimmed() -> None:
    assert check_name("  \uff21\uff43\uff4d\uff45 GmbH ") == "Acme GmbH"  # full-width
    assert check_name("\ufb01nance AG") == "finance AG"  # the "fi" ligature
    assert check_name("Prüfwerk Audit GmbH") == "Prüfwerk Audit GmbH"
    assert check_name("Pru\u0308fwerk") == "Prüfwerk"  # combining diaeresis composed
    assert check_name("شركة أكمي") == "شركة أكمي"  # right-to-left script itself is fine
    assert check_name("株式会社アクメ") == "株式会社アクメ"


def test_an_empty_name_is_refused_as_missing() -> None:
    for empty in ("", "   ", "\u3000"):
        with pytest.raises(InvalidRequest) as refused:
            check_name(empty, "a user")
        assert refused.value.code == "missing_name"
