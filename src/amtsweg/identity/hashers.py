"""The password hasher: Argon2id with parameters chosen for a login round trip under 100 ms.

RFC 9106's second recommended option is t=3, m=64 MiB, p=4; on the two-core reference machine
t=2, m=32 MiB, p=2 keeps hashing around 40 ms, leaving room for the rest of the login. The figures are
in docs/performance.md; raise the parameters on faster machines (old hashes are upgraded at login).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class AmtswegArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 32 * 1024  # KiB
    parallelism = 2
