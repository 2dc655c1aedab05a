"""China's time zone, for calendar dates and display (SPEC §1: display time zone Asia/Shanghai)."""

from datetime import datetime, timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991: a fixed offset gives the same instants as
# Asia/Shanghai without depending on the tzdata of the machine.
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")


def display_instant(value: datetime | None) -> str | None:
    """An instant as every output shows it: ISO 8601 in China's time (SPEC §1)."""
    return None if value is None else value.astimezone(CHINA_TIME).isoformat()
