"""Campaign passwords: slow salted hashes, and the throttling of wrong guesses.

New hashes are argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile:
64 MiB, 3 passes). Hashes made by older canvass versions (``scrypt$…``) are
still verified; :func:`needs_rehash` tells the store to replace them by an
argon2id hash at the next successful login.

Throttling (:class:`ThrottlePolicy`) counts wrong passwords per client and per
campaign. The store keeps the counts in its database, so that every server
process sees them; this module only says how long a client must wait.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()

EVERYONE = "*"
"""Client key of the campaign-wide counter (all clients together)."""


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` (salted; the text starts with ``$argon2id$``)."""
    if not isinstance(password, str) or not password:
        raise ValueError("a campaign password cannot be empty")
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Tell whether ``password`` matches ``stored`` (argon2id, or the scrypt hashes of older canvass versions)."""
    if not isinstance(stored, str):
        return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(str(password), stored)
    try:
        return _HASHER.verify(stored, str(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` should be replaced by a fresh hash (older scheme, or weaker argon2 parameters)."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    """Verify a ``scrypt$n$r$p$salt$digest`` hash (canvass ≤ 0.1), comparing in constant time."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2,
                                  maxmem=2**26)
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def client_key(client: str) -> str:
    """A pseudonymous key for a client (an IP address is personal data: only its SHA-256 prefix is stored)."""
    text = str(client).strip() or "unknown"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How long to wait after wrong passwords.

    Per client: after the ``n``-th wrong password in a row, the next try waits
    ``first_delay · 2^(n-1)`` seconds (1, 2, 4, 8 s); from ``client_attempts``
    wrong passwords on, the client is locked out for ``lockout · 2^(n - client_attempts)``
    seconds (5, 10, 20 … minutes), at most ``max_lockout``.

    Per campaign, all clients together (someone changing address between
    tries): from ``campaign_attempts`` wrong passwords on, everyone is locked
    out the same way. It is higher than the per-client count because it also
    locks out the organisers.

    Counts are forgotten ``forget_after`` seconds after the last wrong password,
    and a client's count is cleared by a right password.
    """

    client_attempts: int = 5
    campaign_attempts: int = 50
    first_delay: float = 1.0
    lockout: float = 300.0
    max_lockout: float = 3600.0
    forget_after: float = 86400.0

    def wait(self, failures: int, *, everyone: bool = False) -> float:
        """Seconds to wait after ``failures`` wrong passwords in a row, before the next try."""
        threshold = self.campaign_attempts if everyone else self.client_attempts
        if failures <= 0 or (everyone and failures < threshold):
            return 0.0
        if failures < threshold:
            return self.first_delay * 2 ** (failures - 1)
        return min(self.lockout * 2 ** min(failures - threshold, 32), self.max_lockout)
