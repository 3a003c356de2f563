"""marshmallow's own English messages ("Length must be between 1 and 4000.") as short messages of ours,
in the reader's language: a page never shows a validator's English next to a field."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

# marshmallow's default message → ours; the groups carry the numbers into the translation.
_KNOWN: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Missing data for required field\.|Field may not be null\.|Shorter than minimum length 1\."),
     lambda match: _("Fill in this field.")),
    (re.compile(r"Length must be between 1 and (\d+)\."),
     lambda match: _("Fill in this field: at most %(high)s characters.", high=match[1])),
    (re.compile(r"Length must be between (\d+) and (\d+)\."),
     lambda match: _("Write %(low)s–%(high)s characters.", low=match[1], high=match[2])),  # noqa: RUF001 - a range
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda match: _("Write at most %(high)s characters.", high=match[1])),
    (re.compile(r"Shorter than minimum length (\d+)\."),
     lambda match: _("Write at least %(low)s characters.", low=match[1])),
    (re.compile(r"Not a valid email address\."),
     lambda match: _("Enter an email address, for example name@example.fi.")),
    (re.compile(r"Not a valid URL\."), lambda match: _("Enter a web address that starts with https://.")),
    (re.compile(r"Not a valid (integer|number|decimal)\."), lambda match: _("Enter a whole number.")),
    (re.compile(r"Not a valid (datetime|date|time)\."), lambda match: _("Enter a date and time.")),
    (re.compile(r"Must be (greater|less) than (or equal to )?-?\d+\.?\d*\.?|Must be greater than or equal to .*"),
     lambda match: _("The number is out of range.")),
    (re.compile(r"Must be one of: .*|Not a valid choice\.|Invalid value\."),
     lambda match: _("Choose one of the options.")),
    (re.compile(r"Unknown field\."), lambda match: _("This field is not part of the form.")),
)


def field_message(message: str) -> str:
    """One validation message for a page: translated from the catalogue, else one of ours for
    marshmallow's own wording (never its English in fi or sv), else the message as it is."""
    translated = str(_(message))
    if translated != message:
        return translated
    for pattern, ours in _KNOWN:
        match = pattern.fullmatch(message.strip())
        if match:
            return str(ours(match))
    return translated
