"""What a drill puts on its server: a checkpoint with staff, a vaccinated resident with a code, and
checkpoint staff verifying that code over HTTP, as at a venue's entrance.

The setup goes through the platform's own use cases on the drill's database (the server's data
folder and keyring); the traffic goes through the API, signed in with password and one-time code.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drills.processes import DrillError, HealthCodeServer, http
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Fact, Person, Source, Vaccination
from healthcode.domain.identity import IdType, resident_id_check_digit
from healthcode.domain.roles import Role
from healthcode.domain.venues import Venue
from healthcode.security.totp import code_at
from healthcode.services.accounts import create_staff
from healthcode.services.checkpoint.venues import register_venue
from healthcode.services.codes.issuing import issue_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Actor, Runtime, open_runtime
from healthcode.settings import Settings

VENUE = "drill-gate"
DRILL = Actor("drill", "system-admin", "emergency drill")
# The verification limits are per staff member (60 a minute, 1,200 an hour): the steady traffic
# keeps well under them, 4 a second over 8 accounts (30 a minute each, 40 minutes of drills an
# hour); the flood uses a ninth account, on purpose.
STAFF = 9


def resident(number: int) -> Person:
    first17 = f"33010619800101{number % 1000:03d}"
    return Person(IdType.RESIDENT_ID, first17 + resident_id_check_digit(first17), "演练居民")


@dataclass
class Checkpoint:
    """Signed-in checkpoint staff at the drill's venue and the code they verify."""

    server: HealthCodeServer
    headers: list[dict[str, str]]
    token: str

    def verify(self, staff: int = 0, timeout: float = 5.0) -> int:
        """The status of one verification of the code by staff member `staff`."""
        return self._ask(staff, timeout)[0]

    def colour(self, staff: int = 0) -> str | None:
        """The colour the checkpoint is shown; None when the code is refused or none answers."""
        status, body = self._ask(staff, 5.0)
        answer = json.loads(body) if status == 200 else {}
        return None if answer.get("rejection", "none") is not None else str(answer["colour"])

    def _ask(self, staff: int, timeout: float) -> tuple[int, bytes]:
        return http(
            self.server.url + "/api/v1/verify",
            {"token": self.token, "venue_id": VENUE},
            self.headers[staff % len(self.headers)],
            timeout,
        )


def drill_runtime(server: HealthCodeServer) -> Runtime:
    return open_runtime(Settings.from_environment(server.env))


def prepare_checkpoint(server: HealthCodeServer, staff: int = STAFF) -> Checkpoint:
    """Venue, resident and staff on the drill's database; the staff signed in over HTTP."""
    runtime = drill_runtime(server)
    accounts = []
    try:
        with runtime.unit_of_work(DRILL) as uow:
            register_venue(uow, VENUE, "演练入口", Venue.MALL, "330106", RiskLevel.LOW)
            for number in range(staff):
                new = create_staff(uow, f"drill{number}", [Role.CHECKPOINT], None)
                accounts.append((f"drill{number}", new.password, new.totp_secret))
        token = new_code(runtime, 1)
    finally:
        runtime.engine.dispose()
    headers = [sign_in(server, *account) for account in accounts]
    return Checkpoint(server, headers, token)


def new_code(runtime: Runtime, number: int) -> str:
    """A vaccinated resident's code (recorded once, a new code each call: codes live minutes)."""
    person = resident(number)
    with runtime.unit_of_work(DRILL) as uow:
        vaccinated = Fact(
            f"drill-{number}",
            Source.HEALTH,
            person,
            uow.now - timedelta(days=30),
            Vaccination(1, "灭活疫苗"),
        )
        record_facts(uow, [vaccinated])
    with runtime.unit_of_work(DRILL) as uow:
        return issue_code(uow, person.key).text


def sign_in(server: HealthCodeServer, username: str, password: str, totp: str) -> dict[str, str]:
    status, body = http(
        server.url + "/api/v1/auth/staff",
        {
            "username": username,
            "password": password,
            "one_time_password": code_at(totp, datetime.now(UTC)),
        },
    )
    if status != 200:
        raise DrillError(f"staff sign-in answered {status}")
    return {"Authorization": f"Bearer {json.loads(body)['access_token']}"}


@dataclass
class Load:
    """Steady verifications (about `per_second`), each staff member in turn but the last (the
    flood drill's), in a thread."""

    checkpoint: Checkpoint
    per_second: float = 4.0
    answers: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, name="drill-load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _run(self) -> None:
        staff = 0
        while not self._stop.is_set():
            started = time.monotonic()
            self.answers.append((started, self.checkpoint.verify(staff, timeout=3.0)))
            staff = (staff + 1) % (len(self.checkpoint.headers) - 1)
            self._stop.wait(max(0.0, 1 / self.per_second - (time.monotonic() - started)))

    def between(self, start: float, end: float) -> list[int]:
        return [status for at, status in self.answers if start <= at < end]
