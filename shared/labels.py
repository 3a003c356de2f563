"""Shared vocabulary shown to people: the strategy's six themes, event kinds and modes, in fi/sv/en.

Keys are stored; labels are shown in the reader's language (see ../shared/DOMAIN.md). Every page,
email and export takes its labels from here, so the same thing has the same name everywhere.
"""

from __future__ import annotations

Labels = dict[str, dict[str, str]]

# The network strategy's six themes (2020-2028), shared by articles and events.
THEME_LABELS: Labels = {
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

EVENT_KIND_LABELS: Labels = {
    "seminar": {"fi": "Vuosiseminaari", "sv": "Årligt seminarium", "en": "Annual seminar"},
    "training": {"fi": "Koulutus", "sv": "Utbildning", "en": "Training"},
    "network-meeting": {"fi": "Verkostotapaaminen", "sv": "Nätverksträff", "en": "Network meeting"},
    "group-meeting": {"fi": "Yhteistyöryhmän kokous", "sv": "Gruppmöte", "en": "Group meeting"},
}

# Event modes, and "remote" as a registrant's way of taking part.
MODE_LABELS: Labels = {
    "onsite": {"fi": "Paikan päällä", "sv": "På plats", "en": "On site"},
    "online": {"fi": "Etänä", "sv": "På distans", "en": "Online"},
    "hybrid": {"fi": "Paikan päällä ja etänä", "sv": "På plats och på distans", "en": "On site and online"},
    "remote": {"fi": "Etänä", "sv": "På distans", "en": "Remotely"},
}

# Where a participant works: asked at registration, the annual report counts participants by it.
SECTOR_LABELS: Labels = {
    "education": {"fi": "Koulutus: perusopetus, lukio tai ammatillinen koulutus",
                  "sv": "Utbildning: grundskola, gymnasium eller yrkesutbildning",
                  "en": "Education: basic, upper secondary or vocational"},
    "employment_services": {"fi": "Työllisyyspalvelut", "sv": "Sysselsättningstjänster", "en": "Employment services"},
    "youth_and_social_services": {"fi": "Kunnan nuoriso- tai sosiaalipalvelut",
                                  "sv": "Kommunens ungdoms- eller socialtjänster",
                                  "en": "Municipal youth or social services"},
    "higher_education": {"fi": "Korkeakoulu", "sv": "Högskola", "en": "Higher education"},
    "third_sector": {"fi": "Järjestö tai säätiö (kolmas sektori)",
                     "sv": "Organisation eller stiftelse (tredje sektorn)",
                     "en": "Association or foundation (third sector)"},
    "business": {"fi": "Yritys", "sv": "Företag", "en": "Business"},
    "other": {"fi": "Muu", "sv": "Annat", "en": "Other"},
}
SECTORS = tuple(SECTOR_LABELS)


def label(labels: Labels, key: str, language: str) -> str:
    """The key's label in the language (English, then the key itself, when one is missing)."""
    names = labels.get(key, {})
    return names.get(language) or names.get("en") or key


def theme_label(key: str, language: str) -> str:
    return label(THEME_LABELS, key, language)


def kind_label(key: str, language: str) -> str:
    return label(EVENT_KIND_LABELS, key, language)


def mode_label(key: str, language: str) -> str:
    return label(MODE_LABELS, key, language)


def sector_label(key: str, language: str) -> str:
    return label(SECTOR_LABELS, key, language)
