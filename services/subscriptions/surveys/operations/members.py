"""The cooperation group's roster: the members the coordinator keeps, one row per address.

Lines pasted in the workspace read `Name; email; organisation; fi|sv|en` (organisation and language may
be left out; the language defaults to Finnish). An address already on the roster updates that member.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.surveys.models import SURVEY_LANGUAGES, GroupMember
from shared.errors import NotFound
from shared.privacy import email_hash, normalise_email

MAX_LINES = 500


@dataclass(frozen=True)
class MemberLine:
    name: str
    email: str
    organisation: str
    language: str


def _valid_address(address: str) -> bool:
    local, _at, domain = address.partition("@")
    return bool(local) and "." in domain and " " not in address and len(address) <= 320


def parse_line(line: str) -> MemberLine | None:
    """One pasted line, or None when it cannot be read."""
    parts = [part.strip() for part in line.split(";")]
    if len(parts) < 2 or len(parts) > 4 or not parts[0] or len(parts[0]) > 200:
        return None
    address = normalise_email(parts[1])
    language = (parts[3] if len(parts) > 3 else "").lower() or "fi"
    organisation = parts[2] if len(parts) > 2 else ""
    if not _valid_address(address) or language not in SURVEY_LANGUAGES or len(organisation) > 300:
        return None
    return MemberLine(parts[0], address, organisation, language)


def parse_lines(text: str) -> tuple[list[MemberLine], list[int]]:
    """(the lines read, the numbers of the lines that could not be read); empty lines are skipped."""
    read: list[MemberLine] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines()[:MAX_LINES], start=1):
        if not line.strip():
            continue
        member = parse_line(line)
        if member is None:
            bad.append(number)
        else:
            read.append(member)
    return read, bad


def _hash(address: str) -> str:
    return email_hash(str(current_app.config["SECRET_KEY"]), address)


def add_members(session: Session, lines: list[MemberLine]) -> int:
    """Add or update each member (by address); returns how many lines were stored."""
    for line in lines:
        address_hash = _hash(line.email)
        member = session.scalar(select(GroupMember).where(GroupMember.email_hash == address_hash))
        if member is None:
            member = GroupMember(email_hash=address_hash)
            session.add(member)
        member.name, member.email = line.name, line.email
        member.organisation, member.language = line.organisation, line.language
        session.flush()
    return len(lines)


def members(session: Session) -> list[GroupMember]:
    return list(session.scalars(select(GroupMember).order_by(GroupMember.organisation, GroupMember.name)))


def member(session: Session, member_id: int) -> GroupMember:
    found = session.get(GroupMember, member_id)
    if found is None:
        raise NotFound("There is no such member.")
    return found


def remove_member(session: Session, member_id: int) -> None:
    session.delete(member(session, member_id))
    session.flush()
