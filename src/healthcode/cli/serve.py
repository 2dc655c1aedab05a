"""`healthcode serve`: the web application on Uvicorn, with the scheduled jobs beside it.

With `--workers N` Uvicorn's supervisor binds the socket once and starts N worker processes that
accept on it (pre-forked: none is started per request). Each builds its own app and runtime
(`web/server.py`), so each has its own PostgreSQL connection pool; a worker that dies is replaced.
SIGTERM or SIGINT stops accepting and lets requests in flight finish (up to the grace period)
before the workers exit. Sessions, sign-out, disabling, throttles and current colours are shared
through Redis (`HEALTHCODE_REDIS_URL`, ADR 0019), which several workers therefore need.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from healthcode.cli import context
from healthcode.cli.errors import BadInputError

# Seconds a stopping server gives requests in flight before it closes their connections.
GRACEFUL_SHUTDOWN_SECONDS: Final = 10
# How long the supervisor waits for a worker to answer its health check before replacing it: a
# worker still importing the web stack on a busy machine is not hung (Uvicorn's 5 s is too short).
WORKER_HEALTHCHECK_SECONDS: Final = 30


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    schedule: Annotated[
        bool, typer.Option(help="Run the scheduled jobs (reviews, rulesets, purges) here too.")
    ] = True,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between job rounds.")] = 30.0,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Server processes; more than 1 needs HEALTHCODE_REDIS_URL."
        ),
    ] = 1,
) -> int:
    # Imported here: the web stack takes half a second to import, which every other command skips.
    import uvicorn  # noqa: PLC0415

    from healthcode.web import create_app  # noqa: PLC0415
    from healthcode.web.logs import LOG_CONFIG  # noqa: PLC0415
    from healthcode.web.scheduler import Scheduler  # noqa: PLC0415
    from healthcode.web.server import CleanStopServer, serve_in_workers  # noqa: PLC0415

    runtime = context.runtime()
    if workers > 1 and runtime.settings.redis_url is None:
        # Each process would keep its own sessions and caches: a sign-out in one would not reach
        # the others, and a colour cached in one would miss another's change.
        raise BadInputError(
            "--workers above 1 needs HEALTHCODE_REDIS_URL: processes share sessions, throttles "
            "and current colours through Redis"
        )
    # One scheduler for the whole server: in this process, whichever number of workers serve.
    scheduler = Scheduler(runtime, interval) if schedule else None
    if scheduler is not None:
        scheduler.start()
    options = {
        "host": host,
        "port": port,
        # Uvicorn's own access log prints full URLs; ours (the metrics middleware) does not.
        "access_log": False,
        "log_config": LOG_CONFIG,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
    try:
        if workers == 1:
            app = create_app(runtime.settings, runtime)
            server = CleanStopServer(uvicorn.Config(app, **options))  # type: ignore[arg-type]
            server.run()
            started = server.started
        else:
            config = uvicorn.Config(
                "healthcode.web.server:app_from_environment",
                factory=True,
                workers=workers,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                **options,  # type: ignore[arg-type]
            )
            serve_in_workers(config)
            started = True  # the supervisor returns once its workers have stopped
    finally:
        if scheduler is not None:
            scheduler.stop()
    # Not started (the port taken, say): uvicorn has logged why; Ctrl-C or SIGTERM is a clean 0.
    return 0 if started else 1
