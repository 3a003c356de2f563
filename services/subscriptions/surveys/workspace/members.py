"""The cooperation group's roster: the list, pasting lines `Name; email; organisation; fi|sv|en`, adding one
member, and removing one (a confirmation first)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.subscriptions.models import db
from services.subscriptions.surveys.models import SURVEY_LANGUAGES
from services.subscriptions.surveys.operations import members


def _page(errors: dict[str, list[str]], form: Any = None) -> str:
    return render_template("admin/surveys/members.html", members=members.members(db.session()), errors=errors,
                           form=form or {}, languages=SURVEY_LANGUAGES)


def members_page() -> Any:
    if request.method != "POST":
        return _page({})
    if request.form.get("form") == "one":
        parts = [request.form.get(name, "").replace(";", ",").strip()
                 for name in ("name", "email", "organisation", "language")]
        line = members.parse_line("; ".join(parts))
        if line is None:
            return _page({"email": [_("Write a name and a valid email address, and choose the language.")]},
                         request.form), 422
        lines = [line]
    else:
        lines, bad = members.parse_lines(request.form.get("lines", ""))
        if bad or not lines:
            message = (_("These lines could not be read: %(lines)s. Nothing was added.",
                         lines=", ".join(str(number) for number in bad)) if bad else _("Paste at least one line."))
            return _page({"lines": [message]}, request.form), 422
    session = db.session()
    added = members.add_members(session, lines)
    session.commit()
    flash(_("%(count)s members saved.", count=added), "success")
    return redirect(url_for(".survey_members"))


def remove_page(member_id: int) -> Any:
    session = db.session()
    member = members.member(session, member_id)
    if request.form.get("confirm") != "yes":
        return render_template("admin/surveys/member_remove_confirm.html", member=member)
    members.remove_member(session, member_id)
    session.commit()
    flash(_("The member was removed from the group."), "success")
    return redirect(url_for(".survey_members"))
