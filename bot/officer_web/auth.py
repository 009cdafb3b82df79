"""Officers' web sign-in without passwords: one-time codes sent to the officer's chat,
server-side sessions in a signed cookie, CSRF tokens, request limits, the audit log.

- A code is 6 digits, valid CODE_TTL, single use, stored as SHA-256 of "officer_id:code";
  only ids in BOT_OFFICER_IDS get one, and the page answers the same either way.
- At most CODES_PER_WINDOW codes per officer id and REQUESTS_PER_WINDOW requests per client
  address within RATE_WINDOW (then 429); wrong codes count as requests too.
- The session cookie is "token.signature" (HMAC-SHA256 with BOT_WEB_SECRET, else a random key
  per process); HttpOnly, SameSite=Strict, Secure behind https, Max-Age SESSION_TTL. The row
  keeps SHA-256 of the token, its expiry and its CSRF token; sign-out revokes the row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models_officer import OfficerLoginCode, OfficerSession
from bot.db.types import table_of

CODE_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(hours=8)
RATE_WINDOW = timedelta(minutes=10)
CODES_PER_WINDOW = 3
REQUESTS_PER_WINDOW = 10
COOKIE = "kc_officer"

_codes = table_of(OfficerLoginCode)
_sessions = table_of(OfficerSession)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class OfficerSessionInfo:
    officer_id: str  # "channel:id" as in BOT_OFFICER_IDS
    csrf: str
    token_hash: str

    @property
    def channel(self) -> str:
        return self.officer_id.partition(":")[0]

    @property
    def external_id(self) -> str:
        return self.officer_id.partition(":")[2]


class ClientLimiter:
    """Requests per client address in a sliding window (in memory, per process)."""

    def __init__(self, limit: int = REQUESTS_PER_WINDOW, window: timedelta = RATE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[datetime]] = {}

    def allow(self, client: str, now: datetime) -> bool:
        seen = self._seen.setdefault(client, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True


class Signer:
    def __init__(self, secret: bytes | None) -> None:
        self._key = secret or secrets.token_bytes(32)

    def sign(self, token: str) -> str:
        mac = hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()
        return f"{token}.{mac}"

    def unsign(self, value: str) -> str | None:
        token, _, mac = value.rpartition(".")
        if not token or not hmac.compare_digest(self.sign(token), value):
            return None
        return token


async def codes_recently(session: AsyncSession, officer_id: str, now: datetime) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(_codes)
            .where(_codes.c.officer_id == officer_id, _codes.c.created_at > now - RATE_WINDOW)
        )
    ).scalar_one()


async def new_code(session: AsyncSession, officer_id: str, now: datetime) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    await session.execute(
        insert(_codes).values(
            officer_id=officer_id,
            code_hash=_sha(f"{officer_id}:{code}"),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    return code


async def redeem_code(session: AsyncSession, officer_id: str, code: str, now: datetime) -> bool:
    """Use the code once: True when it was issued to this officer, unused and not expired."""
    result = await session.execute(
        update(_codes)
        .where(
            _codes.c.officer_id == officer_id,
            _codes.c.code_hash == _sha(f"{officer_id}:{code.strip()}"),
            _codes.c.used_at.is_(None),
            _codes.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(_codes.c.id)
    )
    return result.first() is not None


async def open_session(session: AsyncSession, officer_id: str, now: datetime) -> str:
    """A new session row; returns the raw token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    await session.execute(
        insert(_sessions).values(
            token_hash=_sha(token),
            officer_id=officer_id,
            csrf=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    return token


async def find_session(
    session: AsyncSession, token: str, now: datetime, officer_ids: frozenset[str]
) -> OfficerSessionInfo | None:
    row = (
        await session.execute(
            select(_sessions).where(
                _sessions.c.token_hash == _sha(token),
                _sessions.c.revoked_at.is_(None),
                _sessions.c.expires_at > now,
            )
        )
    ).first()
    if row is None or row.officer_id not in officer_ids:  # removed from BOT_OFFICER_IDS
        return None
    return OfficerSessionInfo(row.officer_id, row.csrf, row.token_hash)


async def revoke(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(
        update(_sessions).where(_sessions.c.token_hash == token_hash).values(revoked_at=now)
    )
