"""`elo create-token`, `elo tokens list|revoke` and `elo create-user`: admin access, per network."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from services import SERVICES
from services.network_commands import chosen_network, network_option
from shared.networks import set_network, settings_for, using_network
from shared.settings import Settings


def service_databases() -> list[tuple[str, Any]]:
    return [(info.name, info.module().db) for info in SERVICES]


def add_account_commands(main: click.Group, settings_or_exit: Callable[[], Settings],
                         migrate_all: Callable[[Settings], None]) -> None:
    add_token_commands(main, settings_or_exit, migrate_all)
    add_user_command(main, settings_or_exit, migrate_all)


def add_token_commands(main: click.Group, settings_or_exit: Callable[[], Settings],
                       migrate_all: Callable[[Settings], None]) -> None:
    @main.command("create-token")
    @click.option("--role", type=click.Choice(["coordinator", "editor", "organizer"]), required=True)
    @click.option("--label", default="", help="Who or what the token is for.")
    @click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3650),
                  help="Days the token works; then it answers 401.")
    @network_option
    def create_token(role: str, label: str, days: int, network_slug: str | None) -> None:
        """Print a new admin token once, for one network. Only its hash is stored (in every service's database)."""
        from shared.auth import new_token, store_token

        settings = settings_or_exit()
        migrate_all(settings)
        token = new_token()
        with using_network(chosen_network(network_slug, settings)):
            for _name, database in service_databases():
                with database.transaction() as session:
                    store_token(session, token, role, label, days=days)
        click.echo(token)


    @main.group()
    def tokens() -> None:
        """List and revoke admin API tokens (in every service's database)."""


    @tokens.command("list")
    @network_option
    def tokens_list(network_slug: str | None) -> None:
        """One line per token: id, role, state, created, expires, label."""
        from shared.auth import list_tokens, token_id
        from shared.db import utcnow

        settings = settings_or_exit()
        migrate_all(settings)
        set_network(chosen_network(network_slug, settings))  # this command's network, to its end
        seen: dict[str, str] = {}
        now = utcnow()
        for _name, database in service_databases():
            with database.transaction() as session:
                for row in list_tokens(session):
                    state = "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "active"
                    dates = f"created {row.created_at:%Y-%m-%d}  expires {row.expires_at:%Y-%m-%d}"
                    seen.setdefault(token_id(row),
                                    f"{token_id(row)}  {row.role:<11} {state:<7}  {dates}  {row.label}".rstrip())
        click.echo("\n".join(seen.values()) if seen else "No tokens.")


    @tokens.command("revoke")
    @click.argument("token_id")
    @network_option
    def tokens_revoke(token_id: str, network_slug: str | None) -> None:
        """Revoke the token with this id (from `elo tokens list`) in every service at once."""
        from shared.auth import revoke, tokens_named
        from shared.auth import token_id as id_of

        settings = settings_or_exit()
        migrate_all(settings)
        set_network(chosen_network(network_slug, settings))  # this command's network, to its end
        found: set[str] = set()
        for _name, database in service_databases():
            with database.transaction() as session:
                found.update(id_of(row) for row in tokens_named(session, token_id))
        if len(found) != 1:
            problem = "names no token" if not found else f"names {len(found)} tokens; give the whole id"
            click.echo(f"elo: {token_id!r} {problem} (see elo tokens list)", err=True)
            sys.exit(2)
        for _name, database in service_databases():
            with database.transaction() as session:
                revoke(tokens_named(session, token_id))
        click.echo(f"Token {found.pop()} is revoked.")




def add_user_command(main: click.Group, settings_or_exit: Callable[[], Settings],
                     migrate_all: Callable[[Settings], None]) -> None:
    @main.command("create-user")
    @click.option("--email", required=True, help="The address the person logs in with.")
    @click.option("--role", type=click.Choice(["coordinator", "editor", "organizer"]), required=True)
    @click.option("--name", default="", help="The person's name, shown in the workspace.")
    @network_option
    def create_user(email: str, role: str, name: str, network_slug: str | None) -> None:
        """Create a workspace login (or set a new password). The password is asked for, or read from
        ELO_NEW_USER_PASSWORD when a script runs this."""
        from shared.accounts import MIN_PASSWORD_LENGTH, PasswordTooShort, hash_password, save_user

        settings = settings_or_exit()
        password = os.environ.get("ELO_NEW_USER_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True)
        try:
            password_hash = hash_password(password)
        except PasswordTooShort:
            click.echo(f"elo: the password needs at least {MIN_PASSWORD_LENGTH} characters", err=True)
            sys.exit(2)
        migrate_all(settings)
        network = chosen_network(network_slug, settings)
        with using_network(network):
            for _name, database in service_databases():
                with database.transaction() as session:
                    save_user(session, email=email, role=role, password_hash=password_hash, name=name)
        base_url = settings_for(settings, network).base_url
        click.echo(f"{email} can now log in at {base_url}/newsletter/admin/ and {base_url}/events/admin/")
