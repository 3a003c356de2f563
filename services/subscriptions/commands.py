"""Commands the subscriptions service adds to `elo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shared.errors import InvalidInput


@click.command("import-subscribers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_subscribers(file: Path) -> None:
    """Import subscribers from a CSV FILE (columns: email, name, organisation, language, topics, consent_at; an
    export of the subscribers reads back unchanged).

    Rows with consent_at are confirmed at once; the others get a confirmation email. Importing the same
    file again changes nothing. Bad rows are listed by their row number (the header is row 1).
    """
    from services.subscriptions import create_app
    from services.subscriptions.models import db
    from services.subscriptions.subscribers.operations.importing import import_csv
    from shared.broker import get_broker
    from shared.migrations import upgrade
    from shared.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(f"setting {error}") from error
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text; save it as 'CSV UTF-8'.") from error
    get_broker()
    app = create_app({"ELO_SETTINGS": settings})
    upgrade(db, Path(__file__).parent / "migrations")
    data_rows = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)
    with app.app_context(), click.progressbar(length=data_rows, label="Importing", file=sys.stderr) as bar:
        session = db.session()
        try:
            report = import_csv(session, text, progress=bar.update)
        except InvalidInput as error:
            session.rollback()
            raise click.ClickException(error.detail) from error
        session.commit()
    click.echo(f"{report.rows} rows: {report.created} new, {report.confirmed} confirmed, {report.updated} updated, "
               f"{report.unchanged} unchanged, {len(report.errors)} with errors; "
               f"{report.confirmation_emails} confirmation emails queued.")
    for problem in report.errors:
        click.echo(f"row {problem.row}: {problem.field}: {problem.message}")
    if report.errors:
        sys.exit(1)


commands = [import_subscribers]
