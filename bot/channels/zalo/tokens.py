"""The Zalo OA access token: stored in the database, refreshed by one caller at a time.

Zalo refresh tokens are single-use: two processes refreshing with the same one would leave one
of them with a dead pair and force a manual re-authorisation. So refreshes are single-flight
inside a process (an asyncio lock) and across instances (a lease taken by a conditional UPDATE
on the row, which works the same on SQLite and PostgreSQL); the new pair is written in one
UPDATE, guarded by the lease.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

import aiohttp
from sqlalchemy import CursorResult, select, update

from bot.channels.base import SendError
from bot.channels.zalo.models import ZaloToken
from bot.channels.zalo.settings import TokenConfig
from bot.db.engine import Database
from bot.db.types import table_of
from bot.db.upsert import insert_for
from handlers.ports import Clock

log = logging.getLogger(__name__)
_tokens = table_of(ZaloToken)

# Refresh this long before the stored expiry, so no send races the deadline.
EARLY_REFRESH = timedelta(minutes=10)
# A refresh that has not finished after this long is presumed dead and may be taken over.
LEASE = timedelta(seconds=60)
_POLL_SECONDS = 0.2
_REFRESH_TIMEOUT = aiohttp.ClientTimeout(total=20)


class TokenRefreshError(SendError):
    """Zalo refused the refresh or could not be reached; sends retry later."""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ZaloTokens:
    def __init__(
        self,
        db: Database,
        config: TokenConfig,
        clock: Clock,
        http: aiohttp.ClientSession,
        *,
        poll_seconds: float = _POLL_SECONDS,
    ) -> None:
        self.db, self.config, self.clock, self.http = db, config, clock, http
        self.poll_seconds = poll_seconds
        self._lock = asyncio.Lock()
        self._seeded = False
        # The last pair seen; another instance's refresh shows up as -216 on the old token.
        self._cached: tuple[str, datetime | None] | None = None
        self.refreshes = 0  # refreshes this process performed (metrics and tests)

    async def access_token(self) -> str:
        """A token that is not about to expire (refreshing first if it is)."""
        if self._cached is not None and self._fresh_until(self._cached[1]):
            return self._cached[0]
        row = await self._row()
        if self._fresh(row):
            self._cached = (row.access_token, row.expires_at)
            return row.access_token
        return await self.refresh(row.access_token)

    async def refresh(self, stale: str) -> str:
        """A new access token replacing `stale`; refreshes only if nobody else already did."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + LEASE.total_seconds() * 2
            while True:
                row = await self._row()
                if row.access_token != stale and self._fresh(row):
                    self._cached = (row.access_token, row.expires_at)
                    return row.access_token
                owner = await self._take_lease(row.refresh_token)
                if owner is not None:
                    return await self._refresh_with(row.refresh_token, owner)
                if loop.time() > deadline:
                    raise TokenRefreshError("another instance holds the Zalo token refresh")
                # Another instance is refreshing: wait for its new pair to appear.
                await asyncio.sleep(self.poll_seconds)

    def _fresh(self, row: ZaloToken) -> bool:
        return self._fresh_until(row.expires_at)

    def _fresh_until(self, expires_at: datetime | None) -> bool:
        return expires_at is None or expires_at - EARLY_REFRESH > self.clock.now()

    async def _row(self) -> ZaloToken:
        if not self._seeded:
            await self._seed()
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(_tokens).where(_tokens.c.app_id == self.config.app_id)
                )
            ).first()
        if row is None:  # pragma: no cover - _seed created it
            raise TokenRefreshError("no Zalo token row")
        return row  # type: ignore[return-value]

    async def _seed(self) -> None:
        """Store the environment's pair once; a changed BOT_ZALO_REFRESH_TOKEN replaces it."""
        seed = _digest(self.config.seed_refresh_token)
        now = self.clock.now()
        values = {
            "access_token": self.config.seed_access_token,
            "refresh_token": self.config.seed_refresh_token,
            "expires_at": None,
            "seed_digest": seed,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        }
        async with self.db.transaction() as session:
            await session.execute(
                insert_for(self.db.dialect, _tokens)
                .values(app_id=self.config.app_id, **values)
                .on_conflict_do_nothing()
            )
            replaced = cast(
                CursorResult[Any],
                await session.execute(
                    update(_tokens)
                    .where(_tokens.c.app_id == self.config.app_id, _tokens.c.seed_digest != seed)
                    .values(**values)
                ),
            )
        if replaced.rowcount:
            log.warning("zalo tokens re-seeded from a new BOT_ZALO_REFRESH_TOKEN")
        self._seeded = True

    async def _take_lease(self, refresh_token: str) -> str | None:
        now = self.clock.now()
        owner = uuid.uuid4().hex
        async with self.db.transaction() as session:
            taken = (
                await session.execute(
                    update(_tokens)
                    .where(
                        _tokens.c.app_id == self.config.app_id,
                        _tokens.c.refresh_token == refresh_token,
                        _tokens.c.lease_until.is_(None) | (_tokens.c.lease_until < now),
                    )
                    .values(lease_owner=owner, lease_until=now + LEASE)
                    .returning(_tokens.c.app_id)
                )
            ).first()
        return owner if taken is not None else None

    async def _refresh_with(self, refresh_token: str, owner: str) -> str:
        try:
            access, new_refresh, expires_in = await self._call_oauth(refresh_token)
        except BaseException:
            await self._release(owner)
            raise
        now = self.clock.now()
        async with self.db.transaction() as session:
            stored = cast(
                CursorResult[Any],
                await session.execute(
                    update(_tokens)
                    .where(_tokens.c.app_id == self.config.app_id, _tokens.c.lease_owner == owner)
                    .values(
                        access_token=access,
                        refresh_token=new_refresh,
                        expires_at=now + timedelta(seconds=expires_in),
                        lease_owner=None,
                        lease_until=None,
                        updated_at=now,
                    )
                ),
            )
        self._cached = (access, now + timedelta(seconds=expires_in))
        if not stored.rowcount:
            # Our lease expired and someone else refreshed meanwhile; ours is still valid.
            log.error("zalo token lease lost during refresh; keeping the new pair in memory")
        self.refreshes += 1
        log.info("zalo access token refreshed, valid for %ss", expires_in)
        return access

    async def _release(self, owner: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(_tokens)
                .where(_tokens.c.app_id == self.config.app_id, _tokens.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def _call_oauth(self, refresh_token: str) -> tuple[str, str, int]:
        url = f"{self.config.oauth_base.rstrip('/')}/v4/oa/access_token"
        form = {
            "app_id": self.config.app_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        try:
            async with self.http.post(
                url,
                data=form,
                headers={"secret_key": self.config.app_secret},
                timeout=_REFRESH_TIMEOUT,
            ) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TokenRefreshError(f"zalo token refresh failed: {type(exc).__name__}") from exc
        if (
            not isinstance(body, dict)
            or not body.get("access_token")
            or not body.get("refresh_token")
        ):
            error = body.get("error") if isinstance(body, dict) else None
            log.error("zalo refused the token refresh (error %s); re-authorise the app", error)
            raise TokenRefreshError(f"zalo token refresh refused (error {error})")
        try:
            expires_in = int(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600
        return str(body["access_token"]), str(body["refresh_token"]), expires_in
