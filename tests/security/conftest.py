"""Security tests: the real application on each database backend (the web fixtures), plus
helpers to log in as each role with a session or a bearer token."""

from __future__ import annotations

from tests.console.conftest import served  # noqa: F401  (the full product, for browsers)
from tests.web.conftest import (  # noqa: F401  (fixtures re-exported for this folder)
    admin,
    admin_client,
    app,
    client,
    fast_hasher,
    new_client,
)
