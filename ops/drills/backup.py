"""The backup and restore drill (D3, `make drill`): a base backup and a WAL archive of a private
PostgreSQL cluster, and a keyring backup; the primary lost; a point-in-time restore into a fresh
cluster, to just before a mistake made after the backup; the restored instance verifies its audit
log against the shipped heads and serves the same codes.

1. A cluster archiving its WAL (`archive_command` copies each segment to the archive folder) and a
   HealthCode on it, with checkpoint staff and a vaccinated resident's code; the audit log sealed.
2. The keyring copied to the backup (mode 0600), then `pg_basebackup`.
3. More work after the backup: a second resident's code, sealed. The restore point is taken.
4. The mistake: the code signing key revoked, so every code fails; its WAL archived.
5. The primary is lost: servers stopped, its data folder and data directory deleted.
6. The base backup copied into a new cluster with `restore_command` and `recovery_target_time`;
   started, it replays the archive up to the restore point and is promoted.
7. A new data directory with the keyring from the backup and the shipped heads file;
   `healthcode audit verify --heads` passes; the same staff sessions verify both codes, green and
   allowed (the revocation is undone), and a code issued now has the same colour.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drills.processes import DrillError, HealthCodeServer, PostgresCluster, wait_until
from drills.traffic import Checkpoint, drill_runtime, new_code, prepare_checkpoint
from healthcode.security.keyring import KEYRING_FILE


@dataclass(frozen=True)
class BackupFigures:
    base_backup_seconds: float
    base_backup_bytes: int
    archived_segments: int
    restore_seconds: float  # restored cluster started → promoted, the archive replayed
    audit_entries: int
    audit_heads: int
    colours: tuple[str, ...]

    def report(self) -> str:
        return "\n".join(
            [
                "backup drill passed:",
                f"  pg_basebackup        {self.base_backup_seconds:.1f} s, "
                f"{self.base_backup_bytes / 1e6:.1f} MB",
                f"  WAL archive          {self.archived_segments} segments",
                f"  point-in-time restore {self.restore_seconds:.1f} s (start → promoted)",
                f"  audit verify --heads {self.audit_entries} entries, {self.audit_heads} signed "
                "heads: intact",
                f"  codes after restore  {', '.join(self.colours)} (both verify, same colour)",
            ]
        )


@dataclass
class _Drill:
    folder: Path
    primary: PostgresCluster
    restored: PostgresCluster
    servers: list[HealthCodeServer]

    @property
    def archive(self) -> Path:
        return self.folder / "wal-archive"

    @property
    def backup(self) -> Path:
        return self.folder / "backup"


def run() -> BackupFigures:
    folder = Path(tempfile.mkdtemp(prefix="healthcode-backup-drill-"))
    folder.chmod(0o755)
    drill = _Drill(
        folder, PostgresCluster(folder / "primary"), PostgresCluster(folder / "restored"), []
    )
    try:
        site, checkpoint = _at_work(drill)
        base_seconds, base_bytes = _back_up(drill, site)
        tokens, before, restore_point = _after_the_backup(site, checkpoint)
        shipped_heads = _the_mistake(drill, site, checkpoint, tokens)
        _lose_the_primary(drill, site)
        restore_seconds = _restore(drill, restore_point)
        again, verified = _restored_site(drill, shipped_heads)
        after = _serves_the_same_codes(again, checkpoint, tokens, before)
        return BackupFigures(
            base_seconds,
            base_bytes,
            len(list(drill.archive.iterdir())),
            restore_seconds,
            int(verified["entries"]),
            int(verified["heads"]),
            tuple(colour or "-" for colour in after),
        )
    finally:
        for server in drill.servers:
            server.stop()
        drill.primary.close()
        drill.restored.close()
        shutil.rmtree(folder, ignore_errors=True)


def _at_work(drill: _Drill) -> tuple[HealthCodeServer, Checkpoint]:
    """1. A cluster archiving its WAL, and the instance at work on it, sealed."""
    for made in (drill.archive, drill.backup):
        made.mkdir()
    archive = drill.archive
    drill.primary.init(
        {
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
        }
    )
    drill.primary.own_tree(drill.archive)
    drill.primary.own_tree(drill.backup)
    drill.primary.start()
    site = HealthCodeServer(drill.folder / "site", drill.primary.url())
    drill.servers.append(site)
    site.cli("keys", "init")
    site.cli("db", "upgrade")
    site.start()
    checkpoint = prepare_checkpoint(site, staff=1)
    site.cli("audit", "seal")
    return site, checkpoint


def _back_up(drill: _Drill, site: HealthCodeServer) -> tuple[float, int]:
    """2. The keyring copied (mode kept: 0600), then the base backup."""
    keys_backup = drill.backup / "keys"
    keys_backup.mkdir(mode=0o700)
    shutil.copy2(site.data_dir / "keys" / KEYRING_FILE, keys_backup / KEYRING_FILE)
    base = drill.backup / "base"
    started = time.monotonic()
    drill.primary.tool("pg_basebackup", "-D", str(base), "-Fp", "-X", "stream", "-c", "fast")
    seconds = time.monotonic() - started
    return seconds, sum(path.stat().st_size for path in base.rglob("*") if path.is_file())


def _after_the_backup(
    site: HealthCodeServer, checkpoint: Checkpoint
) -> tuple[tuple[str, str], tuple[str | None, ...], datetime]:
    """3. A second resident's code after the backup, sealed; then the restore point."""
    runtime = drill_runtime(site)
    try:
        tokens = (checkpoint.token, new_code(runtime, 2))
    finally:
        runtime.engine.dispose()
    site.cli("audit", "seal")
    before = _colours(checkpoint, *tokens)
    if before != ("green", "green"):
        raise DrillError(f"the codes before the restore point answer {before}")
    time.sleep(1.1)  # a restore point between two commits, a second from each
    restore_point = datetime.now(UTC)
    time.sleep(1.1)
    return tokens, before, restore_point


def _the_mistake(
    drill: _Drill, site: HealthCodeServer, checkpoint: Checkpoint, tokens: tuple[str, str]
) -> bytes:
    """4. The code signing key revoked by mistake: every code fails. Its WAL is archived."""
    for key in json.loads(site.cli("keys", "list", "--json").stdout):
        if key["purpose"] == "code" and key["status"] == "active":
            site.cli("keys", "revoke", "--reason", "drill: revoked by mistake", "--", key["kid"])
    if _colours(checkpoint, *tokens) != (None, None):
        raise DrillError("the codes still verify after their key was revoked")
    segment = drill.primary.tool(
        "psql", "-Atc", "SELECT pg_walfile_name(pg_switch_wal())", "postgres"
    ).stdout.strip()
    wait_until("the last WAL segment to be archived", (drill.archive / segment).exists)
    return (site.data_dir / "audit-heads.jsonl").read_bytes()  # as shipped to WORM storage


def _lose_the_primary(drill: _Drill, site: HealthCodeServer) -> None:
    """5. The primary is lost: its database cluster and its data directory."""
    site.stop()
    drill.primary.stop("immediate")
    shutil.rmtree(drill.primary.data)
    shutil.rmtree(site.data_dir)


def _restore(drill: _Drill, restore_point: datetime) -> float:
    """6. The base backup into a fresh cluster, replaying the archive up to the restore point."""
    restored = drill.restored
    restored.folder.mkdir()
    shutil.copytree(drill.backup / "base", restored.data)
    restored.data.chmod(0o700)
    restored.configure(
        {
            "archive_mode": "off",
            "restore_command": f"'cp {drill.archive}/%f %p'",
            "recovery_target_time": f"'{restore_point.isoformat()}'",
            "recovery_target_action": "'promote'",
        }
    )
    (restored.data / "recovery.signal").touch()
    restored.own_tree(restored.folder)
    started = time.monotonic()
    restored.start()
    wait_until("the restored cluster to be promoted", lambda: _promoted(restored), 120, 0.2)
    return time.monotonic() - started


def _restored_site(drill: _Drill, shipped_heads: bytes) -> tuple[HealthCodeServer, dict[str, Any]]:
    """7. A new data directory: the keyring from the backup, the heads as shipped; verified."""
    again = HealthCodeServer(drill.folder / "restored-site", drill.restored.url())
    drill.servers.append(again)
    keys = again.data_dir / "keys"
    keys.mkdir(parents=True, mode=0o700)
    shutil.copy2(drill.backup / "keys" / KEYRING_FILE, keys / KEYRING_FILE)
    heads = again.data_dir / "audit-heads.jsonl"
    heads.write_bytes(shipped_heads)
    verified: dict[str, Any] = json.loads(
        again.cli("audit", "verify", "--json", "--heads", str(heads)).stdout
    )
    if not verified["intact"] or verified["heads"] < 2:
        raise DrillError(f"the restored audit log does not verify: {verified['problems']}")
    return again, verified


def _serves_the_same_codes(
    again: HealthCodeServer,
    checkpoint: Checkpoint,
    tokens: tuple[str, str],
    before: tuple[str | None, ...],
) -> tuple[str | None, ...]:
    """The same staff sessions verify both codes with the colours they had; a new code agrees."""
    again.start()
    moved = Checkpoint(again, checkpoint.headers, tokens[0])
    after = _colours(moved, *tokens)
    if after != before:
        raise DrillError(f"the restored instance answers {after} for codes that were {before}")
    runtime = drill_runtime(again)
    try:
        moved.token = new_code(runtime, 1)
    finally:
        runtime.engine.dispose()
    if moved.colour() != before[0]:
        raise DrillError("a code issued after the restore has another colour")
    return after


def _colours(checkpoint: Checkpoint, *tokens: str) -> tuple[str | None, ...]:
    colours = []
    for token in tokens:
        checkpoint.token = token
        colours.append(checkpoint.colour())
    return tuple(colours)


def _promoted(cluster: PostgresCluster) -> bool:
    try:
        answer = cluster.tool("psql", "-Atc", "SELECT pg_is_in_recovery()", "postgres")
    except DrillError:
        return False
    return answer.stdout.strip() == "f"
