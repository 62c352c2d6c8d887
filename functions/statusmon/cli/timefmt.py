"""Timestamps for people: local time with its zone and the age (``3 min ago``), in tables only.

JSON and text output keep UTC ISO 8601 with a ``Z`` (:func:`statusmon.domain.model.iso`): scripts
compare and sort them. The local zone is the process's, so ``TZ`` is honoured as everywhere else.
"""

from __future__ import annotations

from datetime import datetime

from statusmon.domain.model import utcnow

MINUTE, HOUR, DAY = 60, 3600, 86400


def local(moment: datetime) -> str:
    """``2026-11-24 13:00:00 CET``: the moment in the local zone, to the second."""
    here = moment.astimezone()
    return f"{here:%Y-%m-%d %H:%M:%S} {here.tzname() or here.strftime('%z')}"


def age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, in its largest whole unit: ``12 s ago``, ``3 min ago``,
    ``5 h ago``, ``2 days ago`` (hours up to two days: ``36 h ago`` reads better than ``1 day``)."""
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 0:
        # A clock ahead of ours (another machine's, a service's): say so rather than a negative age.
        return "in the future"
    if seconds >= 2 * DAY:
        return f"{seconds // DAY} days ago"
    if seconds >= HOUR:
        return f"{seconds // HOUR} h ago"
    if seconds >= MINUTE:
        return f"{seconds // MINUTE} min ago"
    return f"{seconds} s ago"


def local_with_age(moment: datetime | None, now: datetime | None = None) -> str:
    """``2026-11-24 13:00:00 CET (3 min ago)``, or the empty string for no moment."""
    if moment is None:
        return ""
    return f"{local(moment)} ({age(moment, now)})"


def duration(seconds: float) -> str:
    """``90 s``, ``12 min``, ``2 h 5 min``: how long a wait lasted or may last."""
    whole = int(seconds)
    if whole < 2 * MINUTE:
        return f"{seconds:g} s" if seconds < 10 else f"{whole} s"
    if whole < HOUR:
        return f"{whole // MINUTE} min"
    hours, minutes = divmod(whole // MINUTE, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


# The longest duration taken (30 days): beyond it a sleep overflows, and no import job or dataset
# operation runs that long.
MAX_DURATION = 30 * DAY


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h``: seconds (a bare number is seconds), more than 0 and at most
    :data:`MAX_DURATION`. Raises ``ValueError``."""
    units = {"s": 1, "m": MINUTE, "h": HOUR}
    text = text.strip().lower()
    factor = units.get(text[-1:])
    number = float(text[:-1] if factor else text)
    seconds = number * (factor or 1)
    if not 0 < seconds <= MAX_DURATION:  # nan and inf fail it too
        raise ValueError(f"{text!r} is not a duration from 0 to 30 days")
    return seconds
