"""HTML pages of the mailer: the test mailbox of captured mail at /mailer/outbox/.

Captured mail carries personal links, so the mailbox exists only in the embedded run (`elo up`, config
`ELO_EMBEDDED`), never in a production web process (there /mailer/outbox/ is a 404), and answers only
a client on this machine (loopback, after the trusted proxies) or a coordinator logged in at
/mailer/admin/login."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from ipaddress import ip_address
from urllib.parse import quote

from flask import Flask, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response as WerkzeugResponse

from services.mailer.models import CapturedMail, db
from shared.errors import NotFound
from shared.web_auth import admin_blueprint, current_user, init_admin

PAGE_SIZE = 50
# The captured email's own HTML: its inline styles may apply, nothing may run, nothing may load
# from this site, and links open outside the frame.
EMAIL_VIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; font-src https: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


ADMIN = "mailer_admin"
OUTBOX_ENDPOINTS = frozenset({"outbox", "captured", "captured_html", "captured_raw", "captured_attachment"})


def register(app: Flask) -> None:
    app.add_url_rule("/", "index", index)
    if not app.config.get("ELO_EMBEDDED"):
        return
    app.add_url_rule("/outbox/", "outbox", outbox)
    app.add_url_rule("/outbox/<int:mail_id>/", "captured", captured)
    app.add_url_rule("/outbox/<int:mail_id>/html", "captured_html", captured_html)
    app.add_url_rule("/outbox/<int:mail_id>/raw", "captured_raw", captured_raw)
    app.add_url_rule("/outbox/<int:mail_id>/attachments/<int:index>", "captured_attachment", captured_attachment)
    app.before_request(_only_here_or_coordinator)
    # A login for reaching the mailbox from another machine; after it, the mailbox.
    admin = admin_blueprint(ADMIN, __name__, roles=("coordinator",), home_endpoint="home")
    admin.add_url_rule("/", "home", lambda: redirect(url_for("outbox")))
    init_admin(app, admin)


def _only_here_or_coordinator() -> WerkzeugResponse | None:
    if request.endpoint not in OUTBOX_ENDPOINTS or _from_this_machine():
        return None
    user = current_user()
    if user is None:
        return redirect(url_for(f"{ADMIN}.login"))
    if user.role != "coordinator":
        raise Forbidden(description=_("You do not have the rights to this page."))
    return None


def _from_this_machine() -> bool:
    try:
        address = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return bool((mapped or address).is_loopback)


def _captures() -> bool:
    return bool(current_app.config["ELO_SETTINGS"].captures_mail)


def index() -> str:
    # The link to the mailbox only where the mailbox is (the embedded run).
    return render_template("mailer/index.html", captures=_captures() and "outbox" in current_app.view_functions)


def outbox() -> str:
    if not _captures():
        return render_template("mailer/index.html", captures=False)
    session = db.session()
    total = session.scalar(select(func.count()).select_from(CapturedMail)) or 0
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    # Past the last page shows the last page: a huge number must not reach the database's OFFSET (a 500).
    page = min(pages, max(1, request.args.get("page", 1, type=int) or 1))
    mails = session.scalars(select(CapturedMail).order_by(CapturedMail.id.desc())
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render_template("mailer/outbox.html", mails=mails, page=page, pages=pages, total=total)


@dataclass(frozen=True)
class AttachmentInfo:
    index: int
    filename: str
    content_type: str
    size: int


def _load(mail_id: int) -> tuple[CapturedMail, EmailMessage]:
    if not _captures():
        raise NotFound("Mail is sent by SMTP here; nothing is captured.")
    mail = db.session().get(CapturedMail, mail_id)
    if mail is None:
        raise NotFound("No such message. It may have been erased.")
    parsed = message_from_bytes(mail.raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return mail, parsed


def _attachments(message: EmailMessage) -> list[Message]:
    return list(message.iter_attachments())


def captured(mail_id: int) -> str:
    mail, message = _load(mail_id)
    text_part = message.get_body(("plain",))
    text = text_part.get_content() if isinstance(text_part, EmailMessage) else ""
    attachments = [AttachmentInfo(index, part.get_filename() or f"attachment-{index}", part.get_content_type(),
                                  len(part.get_payload(decode=True) or b""))
                   for index, part in enumerate(_attachments(message))]
    headers = [(name, str(value)) for name, value in message.items()]
    return render_template("mailer/captured.html", mail=mail, headers=headers, text=text.replace("\r\n", "\n"),
                           attachments=attachments, has_html=message.get_body(("html",)) is not None)


def captured_html(mail_id: int) -> Response:
    _mail, message = _load(mail_id)
    part = message.get_body(("html",))
    if not isinstance(part, EmailMessage):
        abort(404)
    html = part.get_content()
    # Links open in a new window: the pages they lead to refuse to be shown inside a frame.
    html = html.replace("<head>", '<head><base target="_blank">', 1)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_VIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def captured_raw(mail_id: int) -> Response:
    mail, _message = _load(mail_id)
    response = Response(mail.raw, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="message-{mail.id}.eml"'
    response.headers["Cache-Control"] = "no-store"
    return response


def captured_attachment(mail_id: int, index: int) -> Response:
    _mail, message = _load(mail_id)
    parts = _attachments(message)
    if index >= len(parts):
        raise NotFound("No such attachment.")
    part = parts[index]
    filename = (part.get_filename() or f"attachment-{index}").replace('"', "").replace("\r", "").replace("\n", "")
    response = Response(part.get_payload(decode=True) or b"", mimetype=part.get_content_type())
    if filename.isascii():
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "no-store"
    return response
