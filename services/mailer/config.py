"""What the mailer needs from the settings, read once per app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from services.mailer.composing import sender_domain
from services.mailer.rendering import Site
from services.mailer.signing import DkimSigner, signer_for
from shared.networks import current_slug
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
    # Set when inbound mail is received (ELO_INBOUND_PORT): the domain of per-message bounce and
    # unsubscribe addresses. None: mail goes out with the plain envelope sender.
    inbound_domain: str | None = None

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
            inbound_domain=inbound_domain_of(settings),
        )


def inbound_domain_of(settings: Settings) -> str | None:
    if settings.inbound_port is None:
        return None
    return settings.inbound_domain or sender_domain(settings.mail_from)


def site_of(settings: Settings) -> Site:
    """What every email knows about the network."""
    return Site(settings.network_name, settings.base_url, settings.postal_address,
                network_names=tuple(sorted(settings.network_names.items())),
                postal_addresses=tuple(sorted(settings.postal_addresses.items())))


def current_config() -> MailerConfig:
    """The config of the current network (its From, name, address, links: `shared.networks`)."""
    configs: dict[str | None, tuple[Settings, MailerConfig]] = current_app.extensions.setdefault(
        "elo_mailer_config", {})
    settings: Settings = current_app.config["ELO_SETTINGS"]
    read_from, config = configs.get(current_slug(), (None, None))
    if config is None or read_from is not settings:
        config = MailerConfig.from_settings(settings)
        configs[current_slug()] = (settings, config)
    return config
