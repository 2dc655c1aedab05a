"""The `healthcode` command (SPEC §2): Typer commands, one-line errors, never a traceback."""

from __future__ import annotations

import sys

import typer

from healthcode.cli.admin import db, keys
from healthcode.cli.apply import apply
from healthcode.cli.assess import assess
from healthcode.cli.audit_log import audit_app
from healthcode.cli.checkpoint import checkpoint
from healthcode.cli.codes import code, verify
from healthcode.cli.demo import demo, demo_totp
from healthcode.cli.destroy import destroy
from healthcode.cli.errors import EXIT_BAD_INPUT, BadInputError, bad_input_line, fail
from healthcode.cli.foreign import foreign
from healthcode.cli.importer import import_feed
from healthcode.cli.institutions import institutions
from healthcode.cli.policy import policy
from healthcode.cli.rules import rules
from healthcode.cli.serve import serve
from healthcode.cli.status import status
from healthcode.cli.trust import gateway, trust_list_app
from healthcode.cli.venues import devices, venues
from healthcode.cli.worker import worker
from healthcode.services.refusals import Refused

app = typer.Typer(
    name="healthcode",
    help="HealthCode 健康码: colours from shared facts (省疫情防控办〔2021〕36号).",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command(help="Evaluate facts in memory and print one decision per person (SPEC §2).")(assess)
app.add_typer(policy, name="policy")
app.command("import", help="Import a department feed into the database (S5, A6, A7).")(import_feed)
app.command(help="A person's stored code, in the shape assess prints.")(status)
app.command(help="Keep codes current as time passes (rulesets, population jobs, reviews).")(worker)
app.add_typer(rules, name="rules")
app.add_typer(db, name="db")
app.add_typer(keys, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(code, name="code")
app.command(help="Verify a code for a venue: decision, issuer, colour, why refused (S4).")(verify)
app.add_typer(trust_list_app, name="trust-list")
app.add_typer(gateway, name="gateway")
app.command(help="Apply for a code, for yourself or on someone's behalf (A1, A8, S3).")(apply)
app.add_typer(venues, name="venues")
app.add_typer(devices, name="devices")
app.add_typer(institutions, name="institutions")
app.add_typer(checkpoint, name="checkpoint")
app.add_typer(foreign, name="foreign")
app.command(help="Load a synthetic population to try the whole product on (see the README).")(demo)
app.command("demo-totp", help="The current one-time password of a demo staff account.")(demo_totp)
app.command(help="Serve the web application and API on HTTP (issue #5).")(serve)
app.add_typer(destroy, name="destroy")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning every failure into one line on standard error."""
    args = sys.argv[1:] if argv is None else argv
    try:
        # No arguments at all: the newcomer wants to know what the command does.
        result = app(args=args or ["--help"], prog_name="healthcode", standalone_mode=False)
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        return fail("aborted", 1)
    except typer.TyperException as error:  # usage errors of the command line
        message = error.format_message()
        return fail(message, error.exit_code) if message else error.exit_code
    except (BadInputError, Refused) as error:  # input unusable, or a request refused
        return fail(bad_input_line(error), EXIT_BAD_INPUT)
    except Exception as error:  # the last line of defence: never a traceback for a user
        # Only the exception's type: its message might carry input values, which may be personal.
        return fail(f"internal error ({type(error).__name__}); please report it", 1)
    return int(result) if isinstance(result, int) else 0
