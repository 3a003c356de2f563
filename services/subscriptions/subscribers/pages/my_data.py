"""The public "my data" pages: ask for a fresh single-use link, open it, download or erase everything.

Anyone who registered for an event, subscribed or submitted an article can ask. The answer is the same
whatever the address; the link is mailed only where some service holds data about the address. The
link's page only shows a button (GET and HEAD change nothing, so link scanners neither use it up nor see
any data); its POST uses the link up and shows what is held, with "Download my data" and "Erase
everything" buttons that carry a page token (valid an hour, never mailed, dead after the erasure).

The link belongs to the network it was asked in, but shows and downloads what every network holds about the
address. A person who appears in several networks chooses to erase from this network only or from all.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError, fields
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from services.subscriptions.models import db
from services.subscriptions.subscribers import emails, privacy
from services.subscriptions.subscribers.operations import links
from services.subscriptions.subscribers.pages.public import pages
from shared.errors import TooManyRequests
from shared.networks import Network, current_network
from shared.ratelimit import check_rate
from shared.tokens import TokenExpired, TokenInvalid
from shared.web import current_language, keep_private

REQUESTS_PER_IP = 20  # per hour, from one client: then 429
LINKS_PER_ADDRESS = 3  # per hour, to one address: more requests answer the same but mail nothing
WINDOW = 3600
ERASE_SCOPES = ("this", "all")  # this network only, or every network the address appears in


def session() -> Session:
    return db.session()


@pages.route("/my-data", methods=["GET", "POST"])
def my_data_request() -> Any:
    """Type an address, get a link by email. The answer never tells whether the address is known."""
    errors: dict[str, list[str]] = {}
    email = request.form.get("email", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        check_rate(f"my-data:ip:{request.remote_addr}", REQUESTS_PER_IP, WINDOW)
        try:
            fields.Email(required=True).deserialize(email)
        except ValidationError:
            errors["email"] = [_("Enter an email address, for example name@example.fi.")]
        else:
            _send_link_if_held(email)
            return redirect(url_for("subscriber_pages.my_data_sent", lang=current_language()), code=303)
    return render_template("subscribers/my_data_request.html", email=email, errors=errors,
                           labels={"email": _("Email address")}), 422 if errors else 200


def _send_link_if_held(email: str) -> None:
    address_hash = privacy.hash_of(email)
    try:
        check_rate(f"my-data:address:{address_hash}", LINKS_PER_ADDRESS, WINDOW)
    except TooManyRequests:
        return  # the same answer: the person has links in their mailbox already
    session().commit()  # no transaction stays open while the networks and the other services answer
    if privacy.holds_in_any_network(address_hash):
        emails.my_data_link(session(), email, current_language(), links.new_my_data_link(address_hash))
        session().commit()


@pages.route("/my-data/sent")
def my_data_sent() -> str:
    return render_template("subscribers/my_data_sent.html")


def _problem(error: Exception) -> tuple[str, int]:
    expired = isinstance(error, TokenExpired)
    used = isinstance(error, links.LinkUsed)
    return render_template("subscribers/link_problem.html", expired=expired, used=used,
                           purpose=links.MY_DATA_PURPOSE), 410 if expired or used else 404


@pages.route("/my-data/<token>", methods=["GET", "POST"])
def my_data_link(token: str) -> Any:
    """GET shows a button; its POST uses the link up and shows what is held."""
    try:
        link = links.read_my_data_token(session(), links.MY_DATA_PURPOSE, token)
        if request.method == "POST":
            links.open_my_data_link(session(), link)
    except (TokenExpired, TokenInvalid) as error:
        return _problem(error)
    if request.method == "GET":
        return render_template("subscribers/my_data_open.html", token=token)
    session().commit()  # no transaction stays open while the networks and the other services answer
    parts = privacy.parts_of(privacy.export_all_networks(link.address_hash, current_language()))
    return keep_private(Response(render_template("subscribers/my_data.html", parts=parts,
                                                 page_token=links.my_data_session_token(link))))


def _page_link() -> links.MyDataLink:
    return links.read_my_data_token(session(), links.MY_DATA_SESSION_PURPOSE, request.form.get("token", ""))


@pages.route("/my-data/download", methods=["POST"])
def my_data_download() -> Any:
    """Everything held about the person, here and in the other services, as a JSON download."""
    try:
        link = _page_link()
    except (TokenExpired, TokenInvalid) as error:
        return _problem(error)
    session().commit()  # no transaction stays open while the networks and the other services answer
    data = privacy.export_all_networks(link.address_hash, current_language())
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return keep_private(response)


def _erase_scope() -> str:
    scope = request.form.get("scope") or "this"
    if scope not in ERASE_SCOPES:
        raise BadRequest(_("Choose whether to erase your data from this network or from all networks."))
    return scope


@pages.route("/my-data/erase", methods=["POST"])
def my_data_erase() -> Any:
    """First POST: which networks, what will happen, and a confirm button. The POST with `confirm=yes` erases
    in every service of this network (`scope=this`, the default) or of every network the address appears in."""
    try:
        link = _page_link()
    except (TokenExpired, TokenInvalid) as error:
        return _problem(error)
    scope = _erase_scope()
    session().commit()  # no transaction stays open while the networks and the other services answer
    others = privacy.other_networks_of(link.address_hash)
    erased_too = others if scope == "all" else []
    names = {"erased": [privacy.name_of(current_network(), current_language()), *_names(erased_too)],
             "kept": _names(others if scope == "this" else [])}
    if request.form.get("confirm") != "yes":
        return keep_private(Response(render_template("subscribers/my_data_erase.html", scope=scope, names=names,
                                                 page_token=request.form.get("token", ""))))
    privacy.erase_in_networks(erased_too, link.address_hash)
    found = privacy.addresses_in(privacy.export_elsewhere(link.address_hash))
    try:  # this network last, in one transaction with the link: the page's buttons die with the data
        links.mark_erased(session(), link)
    except links.LinkUsed as error:
        return _problem(error)
    privacy.erase_everywhere(session(), link.address_hash, found)
    session().commit()
    return keep_private(Response(render_template("subscribers/erased.html", names=names)))


def _names(networks: list[Network | None]) -> list[str]:
    return [privacy.name_of(network, current_language()) for network in networks]
