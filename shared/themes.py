"""The network strategy's six themes (2020-2028), shared vocabulary of articles and events.

Keys are stored; labels are shown in the reader's language (see ../shared/DOMAIN.md).
"""

from __future__ import annotations

THEME_LABELS: dict[str, dict[str, str]] = {
    "accessible": {"fi": "Saavutettavasti ja asiakaslähtöisesti", "sv": "Tillgängligt och kundorienterat",
                   "en": "Accessible and client-centred"},
    "digital": {"fi": "Digitaalisesti", "sv": "Digitalt", "en": "Digital"},
    "quality": {"fi": "Laadukkaasti ja osaavasti", "sv": "Med kvalitet och kompetens", "en": "Quality and competence"},
    "equitable": {"fi": "Yhdenvertaisesti ja kestävästi", "sv": "Jämlikt och hållbart",
                  "en": "Equitable and sustainable"},
    "coordinated": {"fi": "Monialaisesti ja koordinoidusti", "sv": "Sektorsövergripande och koordinerat",
                    "en": "Cross-sectoral and coordinated"},
    "knowledge": {"fi": "Tietoon perustuen", "sv": "Kunskapsbaserat", "en": "Knowledge-based"},
}
THEMES = tuple(THEME_LABELS)
