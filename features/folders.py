"""Writing a whole folder atomically: built in a temporary folder beside the target, then
renamed into place in one step, so that a reader sees the previous folder or the complete new
one, never a part (an extraction from the generator, a partitioned feature dataset).

The hidden folders beside the target (`.NAME.HOST~PID~....tmp` while it is built,
`.NAME.HOST~PID~old-....` while the previous one is replaced) name the machine and the process
that made them. A process killed outright (SIGKILL, the machine's OOM killer) cannot remove
its own; the next write of the same target removes those whose process, on this machine, is
gone. Those of another machine (shared storage) are left: their process may still be working.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["remove_abandoned_folders", "staged_folder", "swap_folder_into_place"]

_OWNED = re.compile(r"(?P<host>[^~/]+)~(?P<pid>[0-9]+)~")


def _owner_tag() -> str:
    """`HOST~PID~`: this process, on this machine (`~` is never in a host name)."""
    return f"{socket.gethostname()}~{os.getpid()}~"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_abandoned_folders(target: Path) -> list[Path]:
    """Remove the hidden folders a killed process of this machine left beside `target` (its
    temporary and previous folders), and return them. A folder of a live process, of another
    machine, or of no known owner is left."""
    host = socket.gethostname()
    removed: list[Path] = []
    if not target.parent.is_dir():
        return removed
    prefix = f".{target.name}."
    for entry in target.parent.iterdir():
        if not entry.name.startswith(prefix) or not entry.is_dir():
            continue
        owner = _OWNED.match(entry.name[len(prefix) :])
        if owner is None or owner["host"] != host:
            continue
        pid = int(owner["pid"])
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def swap_folder_into_place(staging: Path, target: Path) -> None:
    """Rename the complete folder `staging` to `target`; a previous `target` is moved aside
    first, put back if the rename fails, and removed once the new folder is in place."""
    if not target.exists():
        staging.rename(target)
        return
    previous = target.with_name(f".{target.name}.{_owner_tag()}old-{uuid.uuid4().hex[:8]}")
    target.rename(previous)
    try:
        staging.rename(target)
    except BaseException:
        previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A new temporary folder beside `target` to fill, which replaces `target` when the block
    ends without error and is removed otherwise. Folders a killed process left beside
    `target` are removed first (`remove_abandoned_folders`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_folders(target)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.{_owner_tag()}", suffix=".tmp", dir=target.parent)
    )
    try:
        yield staging
        staging.chmod(0o755)
        swap_folder_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
