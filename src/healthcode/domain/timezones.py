"""China's time zone, for calendar dates and display (SPEC §1: display time zone Asia/Shanghai)."""

from datetime import timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991: a fixed offset gives the same instants as
# Asia/Shanghai without depending on the tzdata of the machine.
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")
