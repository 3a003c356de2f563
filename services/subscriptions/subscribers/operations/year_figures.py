"""The subscriber list's year, computed from the consent history (`ConsentEvent`) alone.

Each address (its keyed hash) is followed through its events in time order, and is either *on the list*
(confirmed, whatever its topics) or not:

- `confirm` puts it on the list;
- `import` puts it on the list when the row came with a consent time; an imported address that still had to
  confirm (its next event is a `confirm`, or its row is still pending) joins only when it confirms;
- `unsubscribe`, `bounce`, `complaint` and `erase` take it off the list;
- `subscribe` (waiting for confirmation) and `change` (language, topics) change nothing here.

Figures of a year (a calendar year in Helsinki time):

- `subscribers_at_start`: addresses on the list at 1 January 00.00; `subscribers_at_end`: on the list at the
  end of 31 December (= the start of the next year);
- `by_month`: for each month 1-12, `joined` (came on the list) and `left` (went off it), so that
  at_end = at_start + sum(joined) - sum(left);
- `left_by_reason`: the year's leavers by the event that took them off (`unsubscribe`, `bounce`, `complaint`,
  `erase`); `unsubscribes` is `left_by_reason["unsubscribe"]`;
- `erased`: erase requests in the year (whether or not the person was on the list then).

Erased people: erasing deletes the subscriber and, with it, their earlier consent events; only an `erase` event
without a subscriber (and with the address's keyed hash) stays. Their history before the erasure is therefore
gone, and computed again later they count as if they had never been on the list: their join is not counted
and their erasure is not a "left" (nothing shows they were on the list). The year's erasures are still counted
in `erased`. A finalised report keeps the figures as they were when it was finalised.

Every consent event is read once per call (a few per address): fine for a network's list of thousands.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.subscriptions.subscribers.models import ConsentAction, ConsentEvent, Subscriber, SubscriberStatus
from shared.formatting import HELSINKI, helsinki_year_bounds, parse_moment

LEAVING = (ConsentAction.UNSUBSCRIBE, ConsentAction.BOUNCE, ConsentAction.COMPLAINT, ConsentAction.ERASE)
Step = tuple[dt.datetime, ConsentAction, bool]


def subscriber_year(session: Session, year: int) -> dict[str, Any]:
    """The figures described in the module's docstring, as JSON primitives."""
    start, end = helsinki_year_bounds(year)
    at_start = at_end = erased = 0
    joined, left = [0] * 12, [0] * 12
    reasons = {action.value: 0 for action in LEAVING}
    for steps in _histories(session).values():
        on_list = False
        for moment, action, joins in steps:
            if moment >= end:
                break
            was_on = on_list
            on_list = _after(on_list, action, joins)
            if start <= moment < end:
                month = moment.astimezone(HELSINKI).month - 1
                if action is ConsentAction.ERASE:
                    erased += 1
                if on_list and not was_on:
                    joined[month] += 1
                elif was_on and not on_list:
                    left[month] += 1
                    reasons[action.value] += 1
        at_start += _on_list_at(steps, start)
        at_end += on_list
    return {
        "subscribers_at_start": at_start,
        "subscribers_at_end": at_end,
        "by_month": [{"month": index + 1, "joined": joined[index], "left": left[index]} for index in range(12)],
        "joined": sum(joined),
        "left": sum(left),
        "left_by_reason": reasons,
        "unsubscribes": reasons[ConsentAction.UNSUBSCRIBE.value],
        "erased": erased,
    }


def _after(on_list: bool, action: ConsentAction, joins: bool) -> bool:
    if action is ConsentAction.CONFIRM or (action is ConsentAction.IMPORT and joins):
        return True
    if action in LEAVING:
        return False
    return on_list


def _on_list_at(steps: list[Step], moment: dt.datetime) -> bool:
    on_list = False
    for when, action, joins in steps:
        if when >= moment:
            break
        on_list = _after(on_list, action, joins)
    return on_list


def _histories(session: Session) -> dict[str, list[Step]]:
    """Each address's events, oldest first: (when, action, whether an import joins)."""
    rows = session.execute(
        select(ConsentEvent.email_hash, ConsentEvent.occurred_at, ConsentEvent.action, Subscriber.status)
        .outerjoin(Subscriber, Subscriber.id == ConsentEvent.subscriber_id)
        .order_by(ConsentEvent.occurred_at, ConsentEvent.id))
    raw: dict[str, list[tuple[dt.datetime, ConsentAction, SubscriberStatus | None]]] = defaultdict(list)
    for address_hash, occurred_at, action, status in rows:
        moment = parse_moment(occurred_at)
        if moment is not None:
            raw[address_hash].append((moment, ConsentAction(action), status))
    histories: dict[str, list[Step]] = {}
    for address_hash, events in raw.items():
        steps: list[Step] = []
        for index, (moment, action, row_status) in enumerate(events):
            following = events[index + 1][1] if index + 1 < len(events) else None
            joins = (action is ConsentAction.IMPORT and following is not ConsentAction.CONFIRM
                     and row_status != SubscriberStatus.PENDING)
            steps.append((moment, action, joins))
        histories[address_hash] = steps
    return histories
