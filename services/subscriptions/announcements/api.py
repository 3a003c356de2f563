"""JSON API of the announcements part at /newsletter/api/v1: an event's announcement, and pausing,
resuming or cancelling its sending (coordinator token). Thin views: one use-case, commit."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.subscriptions.announcements.models import AnnouncementMailing
from services.subscriptions.announcements.operations import sending
from services.subscriptions.models import db
from shared.auth import require_role
from shared.errors import ProblemApi

blp = Blueprint("announcements_api", __name__, url_prefix="/api/v1",
                description="Announcements of new public events to subscribers")


class AnnouncementOutSchema(Schema):
    id = fields.Integer(attribute="announcement_id")
    event_id = fields.Integer(attribute="announcement.event_id")
    slug = fields.String(attribute="announcement.slug")
    status = fields.Function(lambda mailing: mailing.status.value,
                             metadata={"description": "sending, paused, cancelled or sent (all with the mailer)"})
    total = fields.Integer(metadata={"description": "recipients: expected while sending, handed over at the end"})


def register(api: ProblemApi) -> None:
    """Add this part's API to the subscriptions app."""
    api.register_blueprint(blp)


@blp.route("/announcements/<int:announcement_id>")
class AnnouncementView(MethodView):
    @require_role()
    @blp.response(200, AnnouncementOutSchema)
    def get(self, announcement_id: int) -> AnnouncementMailing:
        """The announcement of one event and the state of its sending."""
        return sending.mailing_of(db.session(), announcement_id)


def _state_change(action: str) -> Any:
    change = {"pause": sending.pause, "resume": sending.resume, "cancel": sending.cancel}[action]

    @require_role()
    @blp.response(200, AnnouncementOutSchema)
    def post(self: MethodView, announcement_id: int) -> AnnouncementMailing:
        session = db.session()
        mailing = change(session, announcement_id)
        session.commit()
        return mailing

    post.__doc__ = f"{action.capitalize()} sending (409 when the announcement is not in a state that allows it)."
    return type(f"Announcement{action.capitalize()}View", (MethodView,), {"post": post})


for _action in ("pause", "resume", "cancel"):
    blp.route(f"/announcements/<int:announcement_id>/{_action}")(_state_change(_action))
