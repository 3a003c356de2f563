"""Demo content for the subscriptions service, from the seeds (`elo seed-demo`): the default network's, and
the Swedish-first Österbotten network's (`seed_swedish_region`, run inside that network)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.subscriptions.announcements import demo as announcement_demo
from services.subscriptions.newsletter import demo as newsletter_demo
from services.subscriptions.reports import demo as report_demo
from services.subscriptions.subscribers import demo as subscriber_demo
from services.subscriptions.surveys import demo as survey_demo
from shared.networks import Network

# The demo's second network (`elo seed-demo` adds it): a Swedish-speaking region, bilingual, Swedish first.
SWEDISH_REGION = Network(
    slug="osterbotten",
    names={"sv": "Österbottens ELO-grupp", "fi": "Pohjanmaan ELO-ryhmä", "en": "Ostrobothnia ELO group"},
    languages=("sv", "fi"),
    mail_from="ELO Österbotten <elo-osterbotten@example.fi>",
    postal_addresses={"sv": "Österbottens ELO-grupp, NTM-centralen i Österbotten, PB 262, 65101 Vasa",
                      "fi": "Pohjanmaan ELO-ryhmä, Pohjanmaan ELY-keskus, PL 262, 65101 Vaasa",
                      "en": "Ostrobothnia ELO group, ELY Centre for Ostrobothnia, PO Box 262, 65101 Vaasa, Finland"},
    list_id="osterbotten.example.fi",
    colour="#005a8c",
)

def seed(session: Session) -> None:
    """Subscribers first: the newsletter's sent issue goes to them."""
    subscriber_demo.seed(session)
    announcement_demo.seed(session)
    newsletter_demo.seed(session)
    survey_demo.seed(session)
    report_demo.seed(session)  # the newsletter's 2025 for the annual report, after the newsletter's own demo


def seed_swedish_region(session: Session) -> None:
    """The same for SWEDISH_REGION, run inside that network."""
    subscriber_demo.seed_swedish_region(session)
    announcement_demo.seed(session)
    newsletter_demo.seed_swedish_region(session)
