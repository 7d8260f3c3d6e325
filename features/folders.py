"""Writing a whole folder atomically: built in a temporary folder beside the target, then
renamed into place in one step, so that a reader sees the previous folder or the complete new
one, never a part (an extraction from the generator, a partitioned feature dataset)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["staged_folder", "swap_folder_into_place"]


def swap_folder_into_place(staging: Path, target: Path) -> None:
    """Rename the complete folder `staging` to `target`; a previous `target` is moved aside
    first, put back if the rename fails, and removed once the new folder is in place."""
    if not target.exists():
        staging.rename(target)
        return
    previous = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
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
    ends without error and is removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        staging.chmod(0o755)
        swap_folder_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
