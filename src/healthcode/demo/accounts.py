"""The fixed demo residents who have a phone get a resident account holding their own code, as if
they had signed in once and applied: signing in with their number shows it at once. The mother of
the first one is left for the newcomer to apply for, on his account (家人代办, S3). The population
register (loaded before) holds their phones, so each is proven by signing in with it."""

from __future__ import annotations

import uuid

from healthcode.demo.loading import person
from healthcode.demo.residents import FIXED_RESIDENTS
from healthcode.services.households.binding import apply_for_account
from healthcode.services.households.links import SELF
from healthcode.services.households.pending import PendingBinding
from healthcode.services.refusals import Refused
from healthcode.services.runtime import UnitOfWork


def open_demo_accounts(uow: UnitOfWork) -> int:
    """Accounts opened now (0 when run again: each step is skipped once done)."""
    store = uow.residents
    opened = 0
    for resident in FIXED_RESIDENTS:
        if resident.phone is None or resident.channel is None:
            continue
        account = store.account_for(resident.phone)
        if account is None:
            account = str(uuid.uuid4())
            store.add(account, resident.phone, uow.now)
            opened += 1
        if not any(link.relationship == SELF for link in store.links(account)):
            try:
                taken = apply_for_account(
                    uow, account, person(resident.record), member=None, channel=resident.channel
                )
            except Refused as refused:  # the demo's own data: a refusal is a bug (rolled back)
                raise RuntimeError(f"demo account refused: {refused.refusal.code}") from None
            if isinstance(taken, PendingBinding):  # the register has them with this very phone
                raise RuntimeError("a demo resident is not in the population register")
    return opened
