"""`python -m drills incidents [NAME…] [--interval S]` and `python -m drills backup`, run from
`ops/` (or with `ops` on PYTHONPATH) by the project's interpreter; `make drill` runs both."""

from __future__ import annotations

import argparse
import sys

from drills import backup, incidents
from drills.processes import DrillError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drills", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    chosen = commands.add_parser("incidents", help="inject each incident, time alert and recovery")
    chosen.add_argument("names", nargs="*", help="drills to run (default: all)")
    chosen.add_argument(
        "--interval", type=float, default=15.0, help="Prometheus scrape and evaluation seconds"
    )
    commands.add_parser("backup", help="base backup + WAL archive, point-in-time restore")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "backup":
            print(backup.run().report())
            return 0
        names = arguments.names or [incident.name for incident in incidents.INCIDENTS]
        chosen_incidents = [incidents.by_name(name) for name in names]
        failed = False
        with incidents.stack(arguments.interval) as drills:
            print(f"Prometheus scraping and evaluating every {arguments.interval:g} s")
            for incident in chosen_incidents:
                figures = incidents.run(incident, drills)
                print(figures.line(), flush=True)
                failed |= figures.alert_seconds > incidents.ALERT_SECONDS
                failed |= figures.recovery_seconds > incidents.RECOVERY_SECONDS
        return 1 if failed else 0
    except DrillError as error:
        print(f"drill failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
