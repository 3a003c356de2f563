"""Print an email template rendered with its example.json.

    python -m services.mailer.preview <name> fi [html|text]
"""

from __future__ import annotations

import sys

from services.mailer.composing import as_read
from services.mailer.config import site_of
from services.mailer.rendering import load_example, render
from shared.settings import load_settings


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: python -m services.mailer.preview <template> <fi|sv|en> [html|text]\n")
        return 2
    template, language = argv[0], argv[1]
    part = argv[2] if len(argv) > 2 else "html"
    settings = load_settings()
    example = load_example(template)
    rendered = render(template, language, example.get("context", {}), site_of(settings),
                      list_mail=bool(example.get("list_mail", False)), strict=True)
    personal = {key: str(value) for key, value in example.get("personal", {}).items()}
    read = as_read(rendered, personal)
    sys.stdout.write(read.subject + "\n\n")
    sys.stdout.write(read.html if part == "html" else read.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
