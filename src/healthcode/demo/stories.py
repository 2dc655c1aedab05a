"""What happened to each person: one story per person, each leading to a known colour.

Every story writes ordinary exchange records; the colour next to it is what the default ruleset
decides for them at `now`, stated here so that the demo shows each rule firing for a reason a
newcomer can follow, and so that the tests can check the two agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from healthcode.demo.identities import ZHEJIANG_COUNTIES
from healthcode.demo.places import HIGH_RISK, MEDIUM_RISK, SEVERE_PLACE, SEVERE_REGION
from healthcode.demo.timeline import Timeline, stamp

VACCINES: Final = ("CoronaVac", "BBIBP-CorV", "WIBP-CorV", "Ad5-nCoV")
BOOSTER: Final = "ZF2001"
PORTS: Final = ("上海浦东国际机场", "杭州萧山国际机场", "宁波栎社国际机场", "宁波舟山港")
ORIGINS: Final = ("USA", "GBR", "JPN", "KOR", "DEU", "FRA", "SGP", "AUS")
AUTHORITY: Final = "杭州市新冠肺炎疫情防控工作领导小组办公室"
HOURS: Final = timedelta(hours=1)

Write = Callable[[Timeline], None]


@dataclass(frozen=True, slots=True)
class Story:
    name: str
    colour: str
    weight: int
    write: Write
    traveller: bool = False  # about someone entering the mainland (A8)


def history(line: Timeline) -> None:
    """Vaccinations, and tests and trips within Zhejiang 45 to 85 days ago: no colour changes.

    Kept well before what the stories make happen, so that a routine negative test never clears a
    symptom report nor an open trip ends a stay in a risk area.
    """
    if line.rng.random() < 0.8:
        vaccinated(line)
    routine(line, newest_days=45)


def routine(line: Timeline, newest_days: float) -> None:
    """Negative tests and trips within Zhejiang in the 40 days before `newest_days` ago."""
    rng = line.rng
    oldest_days = newest_days + 40
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        line.test(line.ago(oldest_days, newest_days))
    for start in sorted(line.ago(oldest_days, newest_days) for _ in range(rng.randint(1, 3))):
        region = rng.choice(ZHEJIANG_COUNTIES)
        if rng.random() < 0.4:
            region += f"{rng.randint(1, 12):03d}"  # a township
        until = start + timedelta(hours=rng.uniform(2, 60))
        ended = rng.random() < 0.3 and until < line.now - HOURS
        line.trip(region, start, until if ended else None)


def vaccinated(line: Timeline) -> None:
    rng = line.rng
    product = rng.choice(VACCINES)
    first = line.ago(240, 150)
    doses = rng.choices((1, 2, 3), weights=(2, 6, 2))[0]
    for dose, after_days in ((1, 0), (2, 28), (3, 118))[:doses]:
        given = first + timedelta(days=after_days)
        line.add(
            "health", "vaccination", given, dose=dose, product=BOOSTER if dose == 3 else product
        )


def home_region(line: Timeline) -> str:
    return line.rng.choice(ZHEJIANG_COUNTIES)


def everyday(line: Timeline) -> None:
    routine(line, newest_days=0)


def recovered(line: Timeline) -> None:
    sampled = line.ago(46, 45)
    line.test(sampled, "positive")
    line.add("health", "diagnosis", sampled + 30 * HOURS, status="confirmed")
    discharged = line.ago(29, 28)
    line.add("health", "diagnosis", discharged, status="discharged")
    line.measure("isolation", discharged + HOURS, discharged + timedelta(days=14),
                 setting="centralized", reason="recovery")  # fmt: skip
    # The certificate of recovery the health department issues on discharge (issue #15): valid
    # from the 11th day after the first positive sample, for 180 days, as EU certificates are.
    line.add("health", "recovery", sampled, valid_from=stamp(sampled + timedelta(days=11)),
             valid_until=stamp(sampled + timedelta(days=180)))  # fmt: skip


def recovering(line: Timeline) -> None:
    sampled = line.ago(30, 29)
    line.test(sampled, "positive")
    line.add("health", "diagnosis", sampled + 30 * HOURS, status="confirmed")
    discharged = line.ago(7, 6)
    line.add("health", "diagnosis", discharged, status="discharged")
    line.measure("isolation", discharged + HOURS, setting="home", reason="recovery")


def diagnosed(status: str) -> Write:
    def write(line: Timeline) -> None:
        sampled = line.ago(6, 3)
        line.test(sampled, "positive")
        line.add("health", "diagnosis", sampled + 30 * HOURS, status=status)

    return write


def positive_pending(line: Timeline) -> None:
    line.test(line.ago(1.2, 0.8), "positive")


def positive_withdrawn(line: Timeline) -> None:
    """A positive result filed under the wrong person, withdrawn after a 12345 appeal (S6)."""
    sampled = line.ago(4, 2)
    line.test(sampled, "positive")
    wrong = line.events[-1]["event_id"]
    line.add("health", "retraction", sampled + timedelta(days=1), retracts=wrong,
             reason="样本信息登记错误")  # fmt: skip


def suspicion(excluded: bool) -> Write:
    def write(line: Timeline) -> None:
        suspected = line.ago(12, 9) if excluded else line.ago(2, 1)
        line.add("health", "diagnosis", suspected, status="suspected")
        if excluded:
            line.add("health", "diagnosis", suspected + timedelta(days=2), status="excluded")

    return write


def symptoms(outcome: str) -> Write:
    """Self-reported symptoms (A3) and how they went: still open, tested negative, resolved."""

    def write(line: Timeline) -> None:
        rng = line.rng
        reported = line.ago(1.5, 0.5) if outcome == "open" else line.ago(9, 5)
        which = rng.sample(("fever", "shortness_of_breath", "respiratory"), rng.randint(1, 2))
        source = rng.choice(("resident", "hotline"))
        line.add(source, "symptoms", reported, action="report", symptoms=which)
        if outcome == "tested":
            line.test(reported + timedelta(hours=rng.uniform(6, 30)))
        elif outcome == "resolved":
            line.add(source, "symptoms", reported + timedelta(days=3), action="resolved")

    return write


def fever_clinic(cleared: bool) -> Write:
    def write(line: Timeline) -> None:
        opened = line.ago(9, 8) if cleared else line.ago(1, 0.3)
        line.measure("fever_clinic", opened, opened + timedelta(hours=20) if cleared else None)

    return write


def isolation(setting: str, reason: str, ended: bool, observed: bool = False) -> Write:
    """Isolation medical observation; once ended, perhaps home health observation after it."""

    def write(line: Timeline) -> None:
        start = line.ago(20, 18) if ended else line.ago(6, 2)
        end = start + timedelta(days=14) if ended else None
        line.measure("isolation", start, end, setting=setting, reason=reason)
        if observed and end is not None:
            line.measure("home_observation", end + HOURS)

    return write


def monitored(line: Timeline) -> None:
    routine(line, newest_days=7)
    line.measure("health_monitoring", line.ago(6, 2))


def designated(colour: str, lifted: bool) -> Write:
    def write(line: Timeline) -> None:
        start = line.ago(12, 9) if lifted else line.ago(3, 1)
        reason = "密切接触者的密切接触者" if colour == "red" else "与病例同时段同场所活动"
        line.add("admin", "designation", start, action="start", color=colour,
                 reason=reason, authority=AUTHORITY)  # fmt: skip
        if lifted:  # an end without a colour lifts either designation
            line.add("admin", "designation", start + timedelta(days=7), action="end")

    return write


def stayed(region: str, days_ago: float, venue_id: str | None = None) -> Write:
    """A stay somewhere that ended `days_ago`, then the trip home, left open: home since."""

    def write(line: Timeline) -> None:
        start = line.ago(days_ago + 3, days_ago + 2)
        left = line.ago(days_ago + 0.5, days_ago)
        extra = {} if venue_id is None else {"venue_id": venue_id}
        line.trip(region, start, left, **extra)
        line.trip(home_region(line), left + HOURS)

    return write


def risk_trip(line: Timeline) -> None:
    stayed(line.rng.choice((HIGH_RISK, *MEDIUM_RISK)), 4)(line)


# Inbound travellers in 2021: 14 days of centralized isolation, 7 of home health observation, 7 of
# daily health monitoring ("14+7+7").
ARRIVAL_STAGES: Final[tuple[tuple[str, int, dict[str, str]], ...]] = (
    ("isolation", 14, {"setting": "centralized", "reason": "inbound"}),
    ("home_observation", 7, {}),
    ("health_monitoring", 7, {}),
)


def arrival(days_ago: int) -> Write:
    """An entry into the mainland `days_ago`, and the stages of 14+7+7 that have begun since."""

    def write(line: Timeline) -> None:
        rng = line.rng
        entered = line.ago(days_ago + 0.2, days_ago)
        line.add(rng.choice(("border", "customs")), "entry", entered, port=rng.choice(PORTS),
                 from_country=origin(line))  # fmt: skip
        start = entered + 3 * HOURS
        for kind, days, fields in ARRIVAL_STAGES:
            if start >= line.now - HOURS:
                return
            end = start + timedelta(days=days)
            line.measure(kind, start, end if end < line.now - HOURS else None, **fields)
            start = end + HOURS

    return write


def origin(line: Timeline) -> str:
    """Where a traveller comes from: home for foreigners and compatriots, else somewhere."""
    person = line.person
    if person["id_type"] == "hk_macao_permit":
        return "HKG" if str(person["id_number"]).startswith("H") else "MAC"
    if person["id_type"] == "taiwan_permit":
        return "TWN"
    nationality = str(person.get("nationality", ""))
    return nationality if nationality in ORIGINS else line.rng.choice(ORIGINS)


STORIES: Final = (
    Story("everyday", "green", 110, everyday),
    Story("recovered", "green", 1, recovered),
    Story("suspicion_excluded", "green", 1, suspicion(excluded=True)),
    Story("symptoms_tested_negative", "green", 1, symptoms("tested")),
    Story("symptoms_resolved", "green", 1, symptoms("resolved")),
    Story("fever_cleared", "green", 1, fever_clinic(cleared=True)),
    Story("isolation_ended", "green", 1, isolation("centralized", "close_contact", ended=True)),
    Story("risk_area_long_ago", "green", 1, stayed(HIGH_RISK, 25)),
    Story("health_monitoring", "green", 2, monitored),
    Story("designation_lifted", "green", 1, designated("yellow", lifted=True)),
    Story("positive_withdrawn", "green", 1, positive_withdrawn),
    Story("arrived_long_ago", "green", 1, arrival(40), traveller=True),
    Story("arrived_monitored", "green", 1, arrival(25), traveller=True),
    Story("symptoms_open", "yellow", 2, symptoms("open")),
    Story("home_observation", "yellow", 2,
          isolation("centralized", "close_contact", ended=True, observed=True)),
    Story("designated_yellow", "yellow", 1, designated("yellow", lifted=False)),
    Story("arrived_observed", "yellow", 1, arrival(18), traveller=True),
    Story("positive_test", "red", 1, positive_pending),
    Story("confirmed", "red", 1, diagnosed("confirmed")),
    Story("asymptomatic", "red", 1, diagnosed("asymptomatic")),
    Story("suspected", "red", 1, suspicion(excluded=False)),
    Story("close_contact", "red", 2, isolation("centralized", "close_contact", ended=False)),
    Story("home_isolation", "red", 1, isolation("home", "other", ended=False)),
    Story("fever_clinic", "red", 1, fever_clinic(cleared=False)),
    Story("risk_area", "red", 3, risk_trip),
    Story("severe_area", "red", 1, stayed(SEVERE_REGION, 5)),
    Story("severe_place", "red", 1, stayed(SEVERE_PLACE[0], 6, SEVERE_PLACE[1])),
    Story("designated_red", "red", 1, designated("red", lifted=False)),
    Story("recovery_isolation", "red", 1, recovering),
    Story("arrived_isolated", "red", 2, arrival(6), traveller=True),
)  # fmt: skip
