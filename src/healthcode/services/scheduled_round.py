"""The scheduled round: everything time makes due (ruleset activation, population jobs, next
reviews, scan purges, ended pending bindings, appeal escalations, sealing the audit log), in
batches of one transaction each.

`healthcode worker` runs it in a loop and the server in a background thread; every step is safe to
run twice, so several processes may run it side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from healthcode.services.appeals.oversight import escalate_overdue
from healthcode.services.audit_seal import seal_if_due
from healthcode.services.checkpoint.scans import purge_scans
from healthcode.services.households.pending import purge_pending
from healthcode.services.population_jobs import adopt_orphans, run_open_partitions, worker_name
from healthcode.services.review import review_due
from healthcode.services.rulesets import activate_due_rulesets
from healthcode.services.runtime import Runtime, system_actor


@dataclass(frozen=True, slots=True)
class RoundReport:
    activated: tuple[str, ...]  # the ruleset versions that came into force, as `id@version`
    reviewed: int  # codes re-evaluated because their next review had come


# How the round gets the open partitions of population jobs done: `run_partitions` runs them here;
# with a broker, the CLI and the server pass one that sends them to the workers instead
# (tasks/dispatch.py, ADR 0012), which the use cases never import.
PartitionRunner = Callable[[Runtime], int]


def run_round(runtime: Runtime, partitions: PartitionRunner | None = None) -> RoundReport:
    """Rulesets and population jobs come first: a review under a version about to be replaced
    would be wasted. A partition that fails (its lease then keeps it from being retried for a
    while) must not hold up purges, escalations and sealing: the failure is raised after them."""
    failure: Exception | None = None
    try:
        activated = activate_rulesets(runtime, partitions)
    except Exception as error:  # raised again once the rest of the round is done
        activated, failure = (), error
    with runtime.unit_of_work(system_actor("scan_retention")) as uow:
        purge_scans(uow)  # D2: scan records are kept only for the retention window
    with runtime.unit_of_work(system_actor("pending_binding_retention")) as uow:
        purge_pending(uow)  # D2: a binding that ended keeps nothing of what was asked
    with runtime.unit_of_work(system_actor("appeal_escalation")) as uow:
        escalate_overdue(uow)  # S6: an appeal not handled in time moves up one tier
    reviewed = 0
    while True:
        with runtime.unit_of_work(system_actor("scheduled_review")) as uow:
            report = review_due(uow)
        reviewed += report.reviewed
        if report.reviewed == 0:
            break
    # Last: the round's own entries are then final as soon as its transactions have committed.
    seal_if_due(runtime)  # D1, D3: a head at least every unsealed window
    if failure is not None:
        raise failure
    return RoundReport(activated, reviewed)


def activate_rulesets(
    runtime: Runtime, partitions: PartitionRunner | None = None
) -> tuple[str, ...]:
    """Start the activation of versions that came into force, run every open population job
    (activations, area changes, imports, persons queued by an import that died before its job),
    and mark the versions activated once their job is done. The labels marked this time."""
    with runtime.unit_of_work(system_actor("ruleset_activation")) as uow:
        activate_due_rulesets(uow)
    with runtime.unit_of_work(system_actor("population_job")) as uow:
        adopt_orphans(uow)
    (partitions or run_partitions)(runtime)
    with runtime.unit_of_work(system_actor("ruleset_activation")) as uow:
        activation = activate_due_rulesets(uow)
    return () if activation is None else activation.labels


def run_partitions(runtime: Runtime) -> int:
    """The one place the round runs population jobs' partitions: here, in this process (the
    embedded default). A dispatcher to a broker's workers takes the place of this call."""
    return run_open_partitions(runtime, worker_name("scheduled_round"))
