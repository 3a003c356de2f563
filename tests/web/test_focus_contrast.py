"""The focus indicator meets WCAG 1.4.11 (3:1): computed from the colours in shared/static/elo.css.

The ring is two tones (an outline and a halo between it and the element). Wherever it is drawn, the
outer tone has at least 3:1 against the background around it, and the two tones have at least 3:1
against each other, so the ring is seen on the page, on soft panels and on the dark header alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "shared" / "static" / "elo.css").read_text(encoding="utf-8")
HEX = r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b"


def rule_body(selector_start: str) -> str:
    match = re.search(re.escape(selector_start) + r"[^{]*\{([^}]*)\}", CSS)
    assert match, f"no rule for {selector_start} in elo.css"
    return match.group(1)


def custom_properties(body: str) -> dict[str, str]:
    return {name: value.lower() for name, value in re.findall(rf"--([a-z-]+):\s*({HEX})", body)}


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


ROOT = custom_properties(rule_body(":root"))
HEADER = {**ROOT, **custom_properties(rule_body(".site-header, .skip-link"))}
# Where a focused element sits: (name, the ring's colours there, the background around the ring).
PLACES = [
    ("page", ROOT, "#ffffff"),
    ("soft panel, notice, table header", ROOT, ROOT["bg-soft"]),
    ("dark header", HEADER, ROOT["brand"]),
    ("dark header, hovered link", HEADER, ROOT["brand-dark"]),
]


def test_the_focus_rule_uses_both_tones() -> None:
    focus_rule = rule_body(":focus-visible")
    assert "outline: 3px solid var(--focus-ring)" in focus_rule
    assert "var(--focus-halo)" in focus_rule
    assert "--focus:" not in CSS, "the old one-tone amber ring is gone"


@pytest.mark.parametrize(("place", "colours", "background"), PLACES, ids=[p[0] for p in PLACES])
def test_the_ring_has_3_to_1_against_the_background(place: str, colours: dict[str, str], background: str) -> None:
    ratio = contrast(colours["focus-ring"], background)
    assert ratio >= 3.0, f"{place}: focus ring {colours['focus-ring']} on {background} is {ratio:.2f}:1"


@pytest.mark.parametrize(("place", "colours", "background"), PLACES, ids=[p[0] for p in PLACES])
def test_the_two_tones_have_3_to_1_between_them(place: str, colours: dict[str, str], background: str) -> None:
    ratio = contrast(colours["focus-ring"], colours["focus-halo"])
    assert ratio >= 3.0, f"{place}: ring and halo {ratio:.2f}:1 (background {background})"


def test_buttons_keep_the_halo_visible_against_their_own_colour() -> None:
    """The halo touches the element: on a brand-coloured or red button it must stand out from the button too."""
    for button in (ROOT["brand"], ROOT["error"], ROOT["ink"]):
        assert max(contrast(ROOT["focus-halo"], button), contrast(ROOT["focus-ring"], button)) >= 3.0, button


def test_the_old_amber_ring_would_have_failed() -> None:
    """The field report's figure, as a check of the arithmetic: amber on white is about 2:1."""
    assert contrast("#f2a900", "#ffffff") < 3.0
    assert contrast("#1b1f24", "#ffffff") > 15
