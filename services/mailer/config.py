"""What the mailer needs from the settings, read once per app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from services.mailer.rendering import Site
from services.mailer.signing import DkimSigner, signer_for
from shared.settings import Settings


@dataclass(frozen=True)
class MailerConfig:
    mail_from: str
    site: Site
    secret_key: str
    smtp_url: str | None
    signer: DkimSigner | None
    mail_rate: float | None
    redis_url: str | None
    anonymous_mail_per_day: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> MailerConfig:
        return cls(
            mail_from=settings.mail_from,
            site=site_of(settings),
            secret_key=settings.secret_key,
            smtp_url=settings.smtp_url,
            signer=signer_for(settings.dkim_domain, settings.dkim_selector, settings.dkim_key_file),
            mail_rate=settings.mail_rate,
            redis_url=settings.redis_url,
            anonymous_mail_per_day=settings.anonymous_mail_per_day,
        )


def site_of(settings: Settings) -> Site:
    """What every email knows about the network."""
    return Site(settings.network_name, settings.base_url, settings.postal_address,
                network_names=tuple(sorted(settings.network_names.items())),
                postal_addresses=tuple(sorted(settings.postal_addresses.items())))


def current_config() -> MailerConfig:
    config: MailerConfig | None = current_app.extensions.get("elo_mailer_config")
    if config is None:
        config = current_app.extensions["elo_mailer_config"] = MailerConfig.from_settings(
            current_app.config["ELO_SETTINGS"])
    return config
