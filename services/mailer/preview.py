"""Print an email template rendered with its example.json.

    python -m services.mailer.preview <name> fi [html|text]
"""

from __future__ import annotations

import sys

from services.mailer.rendering import Site, load_example, render
from shared.settings import load_settings


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: python -m services.mailer.preview <template> <fi|sv|en> [html|text]\n")
        return 2
    template, language = argv[0], argv[1]
    part = argv[2] if len(argv) > 2 else "html"
    settings = load_settings()
    example = load_example(template)
    site = Site(settings.network_name, settings.base_url, settings.postal_address)
    rendered = render(template, language, example.get("context", {}), site,
                      list_mail=bool(example.get("list_mail", False)), strict=True)
    personal = {key: str(value) for key, value in example.get("personal", {}).items()}
    sys.stdout.write(rendered.subject.fill(personal) + "\n\n")
    sys.stdout.write(rendered.html.fill(personal, escape=True) if part == "html" else rendered.text.fill(personal))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
