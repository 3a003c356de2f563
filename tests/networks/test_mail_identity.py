"""Each network's mail says who sends it: its From, List-Id, DKIM domain, name and footer address; the
default network's mail is as the settings say."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Flask

from services.mailer.config import current_config
from services.subscriptions.subscribers.emails import list_id
from shared.networks import Network, using_network


def test_a_networks_mail_identity_is_its_own(apps: dict[str, Flask], network_b: Network, tmp_path: Path) -> None:
    key = tmp_path / "dkim.pem"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")  # read, never used to sign here
    mailer = apps["mailer"]
    base = mailer.config["ELO_SETTINGS"]
    mailer.config["ELO_SETTINGS"] = dataclasses.replace(base, dkim_domain="elo.example", dkim_selector="elo",
                                                        dkim_key_file=key)
    signed_b = dataclasses.replace(network_b, dkim_domain="lappi.example")
    try:
        with mailer.app_context():
            default = current_config()
            with using_network(signed_b):
                own = current_config()
        assert default.mail_from == base.mail_from
        assert default.signer is not None
        assert default.signer.domain == "elo.example"
        assert own.mail_from == network_b.mail_from
        assert own.signer is not None
        assert own.signer.domain == "lappi.example"
        assert own.site.network_name_in("sv") == network_b.names["sv"]
        assert own.site.postal_address == network_b.postal_addresses["fi"]
        assert own.site.base_url.endswith(f"/{network_b.slug}")
        assert default.site.network_name == base.network_name
    finally:
        mailer.config["ELO_SETTINGS"] = base
        mailer.extensions.pop("elo_mailer_config", None)

    with apps["subscriptions"].test_request_context("/"):
        with using_network(network_b):
            assert list_id() == network_b.list_id
        assert list_id().startswith("newsletter.")
