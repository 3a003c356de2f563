"""`elo network add|list`, `--network` of the commands that act in one network, and migrating every network.

The settings (`ELO_NETWORK_NAME` and the rest) describe the default network; the others are rows of
`networks` (`shared.networks`), added here while the system runs: web processes, the worker and the
scheduler read the list again within seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from services import SERVICES
from shared.db import create_network_schema
from shared.network_registry import app_networks, read_networks, save_network
from shared.networks import Network, NetworkError, check_network, forget_networks, settings_for, using_network
from shared.settings import Settings


def all_networks() -> list[Network | None]:
    """None (the default network) and every added one, read from the subscriptions database."""
    return [None, *read_networks(SERVICES[0].module().db)]


def each_network() -> Iterator[Network | None]:
    for network in all_networks():
        with using_network(network):
            yield network


def each_known_network() -> Iterator[Network | None]:
    """Like `each_network`, from the current app's list (read again every few seconds): for loops
    that run every second (the scheduler)."""
    for network in [None, *app_networks()]:
        with using_network(network):
            yield network


def migrate_network(network: Network) -> None:
    from shared.migrations import upgrade

    for info in SERVICES:
        database = info.module().db
        create_network_schema(database.default_engine, network)
        with using_network(network):
            upgrade(database, info.migrations_dir)


def migrate_networks() -> None:
    """Bring every added network's databases to the newest schema (the default one is done first)."""
    for network in all_networks():
        if network is not None:
            migrate_network(network)


def network_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--network", "network_slug", default=None, metavar="SLUG",
                        help="The network (see elo network list); default: the default network.")(command)


def chosen_network(slug: str | None, settings: Settings) -> Network | None:
    """The network named by --network, or one line on stderr and exit 2."""
    if slug is None or slug == settings.network_slug:
        return None
    for network in all_networks():
        if network is not None and network.slug == slug:
            return network
    click.echo(f"elo: network {slug!r} does not exist (see elo network list)", err=True)
    sys.exit(2)


def add_commands(main: click.Group, settings_or_exit: Callable[[], Settings],
                 migrate_all: Callable[[Settings], None]) -> None:
    @main.group("network")
    def network_group() -> None:
        """The networks of this deployment: the default one (the settings) and the added ones."""

    @network_group.command("add")
    @click.argument("slug")
    @click.option("--name-fi", default="", help="The network's name in Finnish.")
    @click.option("--name-sv", default="", help="The network's name in Swedish.")
    @click.option("--name-en", default="", help="The network's name in English.")
    @click.option("--languages", default="fi,sv", show_default=True,
                  help="The network's languages in its order: a Swedish-first region gives sv,fi.")
    @click.option("--mail-from", required=True, help='The From of its mail, e.g. "ELO Österbotten <elo@example.fi>".')
    @click.option("--address-fi", default="", help="Postal address in the footer of its mail (Finnish).")
    @click.option("--address-sv", default="", help="Postal address (Swedish).")
    @click.option("--address-en", default="", help="Postal address (English).")
    @click.option("--list-id", default="", help="The List-Id of its newsletter (default: from the slug).")
    @click.option("--colour", default="", help="Its colour on the national calendar, e.g. #00594f.")
    @click.option("--logo-url", default="", help="Address of its logo.")
    @click.option("--dkim-domain", default="", help="The domain its mail is signed for (default: the setting).")
    def network_add(slug: str, **given: str) -> None:
        """Add a network (or change one) and make its databases. No restart is needed."""
        settings = settings_or_exit()
        network = _network_from(slug, given)
        try:
            if slug == settings.network_slug:
                raise NetworkError(f"slug {slug!r} is the default network's (ELO_NETWORK_SLUG)")
            check_network(network)
        except NetworkError as error:
            click.echo(f"elo: {error}", err=True)
            sys.exit(2)
        migrate_all(settings)
        for info in SERVICES:
            save_network(info.module().db, network)
        migrate_network(network)
        forget_networks()
        click.echo(f"Network {slug} is ready at {settings_for(settings, network).base_url}/")

    @network_group.command("list")
    def network_list() -> None:
        """One line per network: slug, languages, name, address of its pages."""
        settings = settings_or_exit()
        migrate_all(settings)
        lines = [f"{settings.network_slug}  {settings.primary_language:<5}  {settings.network_name}  "
                 f"{settings.base_url}/  (default)"]
        for network in all_networks()[1:]:
            assert network is not None
            lines.append(f"{network.slug}  {','.join(network.languages):<5}  {network.name_in(network.languages[0])}"
                         f"  {settings_for(settings, network).base_url}/")
        click.echo("\n".join(lines))


def _network_from(slug: str, given: dict[str, str]) -> Network:
    names = {language: given[f"name_{language}"] for language in ("fi", "sv", "en") if given[f"name_{language}"]}
    addresses = {language: given[f"address_{language}"] for language in ("fi", "sv", "en")
                 if given[f"address_{language}"]}
    return Network(slug=slug, names=names, mail_from=given["mail_from"], postal_addresses=addresses,
                   languages=tuple(part.strip() for part in given["languages"].split(",") if part.strip()),
                   list_id=given["list_id"] or f"{slug}.{_list_domain(given['mail_from'])}",
                   colour=given["colour"], logo_url=given["logo_url"], dkim_domain=given["dkim_domain"])


def _list_domain(mail_from: str) -> str:
    address = mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"

