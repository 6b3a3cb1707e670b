"""Database ids as they may arrive from outside (JSON bodies, paths, query strings).

Every primary key is a 32-bit column (IntField): a larger number is no id of ours, and
handing one to the database fails there (SQLite: "Python int too large", MariaDB: out of
range) as a 500 instead of a clear 422 at the door.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1
