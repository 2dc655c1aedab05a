"""`healthcode serve`: the web application on Uvicorn, with the scheduled jobs beside it."""

from __future__ import annotations

from typing import Annotated

import typer

from healthcode.cli import context


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    schedule: Annotated[
        bool, typer.Option(help="Run the scheduled jobs (reviews, rulesets, purges) here too.")
    ] = True,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between job rounds.")] = 30.0,
) -> int:
    # Imported here: the web stack takes half a second to import, which every other command skips.
    import uvicorn  # noqa: PLC0415

    from healthcode.web import create_app  # noqa: PLC0415
    from healthcode.web.logs import LOG_CONFIG  # noqa: PLC0415
    from healthcode.web.scheduler import Scheduler  # noqa: PLC0415
    from healthcode.web.server import CleanStopServer  # noqa: PLC0415

    runtime = context.runtime()
    app = create_app(runtime.settings, runtime)
    scheduler = Scheduler(runtime, interval) if schedule else None
    if scheduler is not None:
        scheduler.start()
    try:
        # Uvicorn's own access log prints full URLs; ours (the metrics middleware) does not.
        config = uvicorn.Config(app, host=host, port=port, access_log=False, log_config=LOG_CONFIG)
        server = CleanStopServer(config)
        server.run()
    finally:
        if scheduler is not None:
            scheduler.stop()
    # Not started (the port taken, say): uvicorn has logged why; Ctrl-C or SIGTERM is a clean 0.
    return 0 if server.started else 1
