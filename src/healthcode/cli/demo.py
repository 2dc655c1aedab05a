"""`healthcode demo`: a synthetic population in the configured database, to see the whole product.

Creates the keyring and the schema when they are missing (what `keys init` and `db upgrade` do),
then loads institutions, venues with scanners, risk areas, facts and applications through the
platform's own use cases. Running it again adds nothing: the demo's seed and instant are kept in
`demo.json` in the data directory, and everything is regenerated for that same instant.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table

from healthcode.cli import context
from healthcode.cli.choices import parse_instant
from healthcode.cli.errors import BadInputError
from healthcode.clock import Clock, FrozenClock, clock_for
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.demo.accounts import open_demo_accounts
from healthcode.demo.foreign_trust import EXAMPLES_DIR, install_demo_trust
from healthcode.demo.loading import Loader, LoadReport, colours, load_population, person
from healthcode.demo.manifest import Manifest, ManifestError, read_manifest, write_manifest
from healthcode.demo.places import COMMUNITY
from healthcode.demo.population import DEFAULT_PERSONS, Population, generate
from healthcode.demo.residents import FIXED_RESIDENTS
from healthcode.demo.staff import (
    CREATED_BY,
    PASSWORDS_FILE,
    create_demo_staff,
    demo_one_time_password,
    read_demo_passwords,
    write_demo_passwords,
)
from healthcode.domain.facts import PersonKey
from healthcode.domain.timezones import display_instant
from healthcode.security.keyring import KEYRING_FILE, KeyringError, init_keyring
from healthcode.services.checkpoint.institutions import list_institutions
from healthcode.services.runtime import Actor, Runtime, open_runtime
from healthcode.settings import Settings

DEFAULT_SEED: Final = 1
MIN_PERSONS: Final = 40  # enough for every story, every event type and every colour
COLOUR_STYLES: Final = {"green": "green", "yellow": "yellow", "red": "red", "none": "dim"}
LOADED: Final = ("institutions", "venues", "scanners", "area_listings", "facts", "applications")


def demo(
    persons: Annotated[
        int | None,
        typer.Option(min=MIN_PERSONS, max=20_000, help=f"Persons to generate [{DEFAULT_PERSONS}]."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help=f"Seed of the population [{DEFAULT_SEED}].")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="The instant the facts lead up to [now, or HEALTHCODE_CLOCK]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> int:
    started = time.monotonic()
    settings = context.settings()
    instant = None if at is None else parse_instant(at, "--at")
    clock: Clock = clock_for(settings) if instant is None else FrozenClock(instant)
    _prepare(settings, clock.now())
    runtime = _runtime(settings, clock)
    loader = Loader(runtime, context.actor("system_admin", "demo").name, _device_keys(settings))
    manifest = _manifest(loader, settings.data_dir, persons, seed, instant)
    write_manifest(settings.data_dir, manifest)
    population = generate(manifest.seed, manifest.at, manifest.persons)
    with Console(stderr=True).status("loading the demo") as status:
        report = load_population(loader, population, lambda step: status.update(f"loading {step}"))
    staff = _staff_accounts(runtime, settings.data_dir)
    trust_added = install_demo_trust(settings.foreign_trust_dir, settings.data_dir)
    with runtime.unit_of_work(Actor(CREATED_BY, "resident", "demo resident accounts")) as uow:
        open_demo_accounts(uow)
    summary = _summary(population, report, colours(loader, population), staff)
    summary["staff_passwords_file"] = str(settings.data_dir / PASSWORDS_FILE)
    summary["foreign_trust"] = {
        "folder": str(settings.foreign_trust_dir),
        "added": trust_added,
        "examples": str(settings.data_dir / EXAMPLES_DIR),
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _show(Console(), summary, time.monotonic() - started)
    return 0


def _staff_accounts(runtime: Runtime, data_dir: Path) -> list[tuple[str, str, str | None]]:
    """The demo's staff accounts, one per role: (login, role, password), kept for the next run."""
    known = read_demo_passwords(data_dir)
    # Created in the demo's name: that mark is what lets `demo-totp` help with these accounts only.
    with runtime.unit_of_work(Actor(CREATED_BY, "security_admin", "demo staff accounts")) as uow:
        accounts = create_demo_staff(uow, known)
    kept = {login: password for login, _, password in accounts if password is not None}
    if kept != known:
        write_demo_passwords(data_dir, kept)
    return accounts


def demo_totp(
    login: Annotated[str, typer.Argument(help="A demo staff login, e.g. author.")],
) -> int:
    """The current one-time password of a demo staff account (demo accounts only)."""
    runtime = context.runtime()
    with runtime.unit_of_work(context.actor("security_admin", "demo sign-in help")) as uow:
        code = demo_one_time_password(uow, login)
    if code is None:
        raise BadInputError(f"{login} is not a demo staff account")
    typer.echo(code)
    return 0


def _prepare(settings: Settings, now: datetime) -> None:
    """What `healthcode keys init` and `healthcode db upgrade` do, when not done yet."""
    if not (settings.keys_dir / KEYRING_FILE).exists():
        try:
            path = init_keyring(settings.keys_dir, now)
        except KeyringError as error:
            raise BadInputError(str(error)) from None
        typer.echo(f"keyring created at {path}; back it up", err=True)
    engine = connect(settings.database_url)
    try:
        upgrade(engine)  # a database already at the head revision is left as it is
    finally:
        engine.dispose()


def _runtime(settings: Settings, clock: Clock) -> Runtime:
    """As `context.runtime()` opens it, but on the demo's own clock when `--at` is given."""
    try:
        return open_runtime(settings, clock)
    except KeyringError as error:
        raise BadInputError(str(error)) from None


def _device_keys(settings: Settings) -> Path:
    """Where the demo scanners' private keys are kept, so that scans can be tried out."""
    return settings.data_dir / "demo" / "scanners"


def _manifest(
    loader: Loader, data_dir: Path, persons: int | None, seed: int | None, at: datetime | None
) -> Manifest:
    """The demo to load: the one this database already holds, grown if asked, or a new one."""
    try:
        stored = read_manifest(data_dir)
    except ManifestError as error:
        raise BadInputError(str(error)) from None
    if stored is None or not _loaded(loader):
        # Whole seconds: the instant is shown to people and written into demo.json.
        now = at or loader.runtime.clock.now().replace(microsecond=0)
        return Manifest(DEFAULT_SEED if seed is None else seed, now, persons or DEFAULT_PERSONS)
    if seed not in (None, stored.seed) or at not in (None, stored.at):
        raise BadInputError(
            f"this database holds the demo of seed {stored.seed} as of "
            f"{display_instant(stored.at)}; load another one into a fresh HEALTHCODE_DATA_DIR"
        )
    # The first persons of a larger demo are those of the smaller one: it only ever grows.
    return Manifest(stored.seed, stored.at, max(persons or 0, stored.persons))


def _loaded(loader: Loader) -> bool:
    with loader.unit_of_work("system_admin") as uow:
        return any(institution.id == COMMUNITY.id for institution in list_institutions(uow))


def _summary(
    population: Population,
    report: LoadReport,
    found: dict[PersonKey, str | None],
    staff: list[tuple[str, str, str | None]],
) -> dict[str, Any]:
    """Counts, and the fixed demo residents: synthetic, the only persons ever shown in full."""
    counts = Counter(found.values())
    return {
        "seed": population.seed,
        "at": display_instant(population.now),
        "added": {what: report.added[what] for what in LOADED},
        "already_there": {what: report.present[what] for what in LOADED},
        "conflicts": report.conflicts,
        "refused": report.refused,
        "colours": {
            colour or "none": counts[colour] for colour in ("green", "yellow", "red", None)
        },
        "demo_residents": [
            {
                "name": resident.name,
                "phone": resident.phone,
                "id_type": "resident_id",
                "id_number": resident.id_number,
                "colour": found.get(person(resident.record).key),
                "applied_via": None if resident.channel is None else resident.channel.value,
            }
            for resident in FIXED_RESIDENTS
        ],
        "staff_accounts": [
            {"login": login, "role": role, "password": password} for login, role, password in staff
        ],
    }


def _show(console: Console, summary: dict[str, Any], seconds: float) -> None:
    console.print(f"HealthCode demo: seed {summary['seed']}, facts up to {summary['at']}")
    loaded = Table("loaded", "added", "already there")
    for what in LOADED:
        added, there = summary["added"][what], summary["already_there"][what]
        loaded.add_row(what.replace("_", " "), str(added), str(there))
    console.print(loaded)
    by_colour = Table("colour", "persons")
    for colour, count in summary["colours"].items():
        by_colour.add_row(colour, str(count), style=COLOUR_STYLES.get(colour))
    console.print(by_colour)
    residents = Table("demo resident", "phone", "resident ID", "colour", "applied via")
    residents.columns[2].no_wrap = True  # a number cut short is no use to anyone
    for shown in summary["demo_residents"]:
        residents.add_row(shown["name"], shown["phone"] or "-", shown["id_number"],
                          shown["colour"] or "no code", shown["applied_via"] or "not yet",
                          style=COLOUR_STYLES.get(shown["colour"]))  # fmt: skip
    console.print(residents)
    accounts = Table("staff login", "role", "password (demo only)")
    for account in summary["staff_accounts"]:
        password = account["password"] or "(not a demo account: not shown)"
        accounts.add_row(account["login"], account["role"], password)
    console.print(accounts)
    console.print(
        f"staff passwords are kept in {summary['staff_passwords_file']} (shown on every run); "
        "one-time password for a demo login: healthcode demo-totp LOGIN"
    )
    trust = summary["foreign_trust"]
    console.print(
        f"foreign trust in {trust['folder']} ({len(trust['added'])} files added); sample foreign"
        f" certificates to scan at the checkpoint: {trust['examples']}"
    )
    if summary["conflicts"] or summary["refused"]:
        console.print(
            f"{summary['conflicts']} facts differ from those stored earlier and were left as "
            f"they were; {summary['refused']} applications were refused",
            style="yellow",
        )
    console.print(f"done in {seconds:.1f} s", style="dim")
