"""`prowebcrm serve` keeps what startup made out of the cyclic collector's passes."""

from __future__ import annotations

import gc

from prowebcrm import server


async def test_startup_objects_are_frozen_once_the_app_is_up() -> None:
    made_at_startup = [object() for _ in range(3)] + [[] for _ in range(1000)]
    assert gc.get_freeze_count() == 0
    try:
        await server._freeze_startup_objects(None)  # type: ignore[arg-type]
        # the lists above (tracked objects) now sit in the permanent generation, out of
        # every pass, and no pass sees them among the generations' objects
        assert gc.get_freeze_count() >= len(made_at_startup) - 3
        assert not any(o is made_at_startup[-1] for o in gc.get_objects())
    finally:
        gc.unfreeze()
