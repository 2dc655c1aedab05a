"""Dashboard tallies follow every colour change, by county, without opening a sealed record."""

from __future__ import annotations

from datetime import timedelta

from builders import ManualClock, diagnosis, operator
from healthcode.db.tallies_store import TallyStore
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Runtime


def test_tallies_count_codes_by_county_and_colour_moves_by_day__A5(
    runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.unit_of_work(operator()) as uow:
        record_facts(uow, [diagnosis("confirmed", clock.now() - timedelta(hours=1))])
    with runtime.unit_of_work(operator()) as uow:
        store = TallyStore(uow.connection)
        assert store.by_region() == [("330106", "red", 1)]
        assert [move[1:] for move in store.moves_since("2021-01-01")] == [("330106", "", "red", 1)]
