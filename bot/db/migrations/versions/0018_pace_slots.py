"""The send schedule shared by replicas (bot/pacing.py): `pace_slots` and, on PostgreSQL,
`pace_reserve`, which reserves the next send slot of a channel and a chat in one call.

Revision ID: 0018_pace_slots
Revises: 0017_outbox_sending
"""

import sqlalchemy as sa
from alembic import op

from bot.db.types import UtcDateTime

revision = "0018_pace_slots"
down_revision = "0017_outbox_sending"
branch_labels = None
depends_on = None

# GCRA (generic cell rate algorithm) on two keys at once: the chat's row (p_key; NULL = a
# call to no chat) and the channel's row (key ""). When the chat may send now (its tat minus
# its burst allowance, and its 429 pause, are past), the send gets the channel's next slot
# and both tats move past that slot. Rows are locked chat first, channel second, always in
# that order (no deadlocks). clock_timestamp(), not now(): the time of this call.
# Returns (slot in epoch seconds, seconds to wait for it, 0); or, nothing reserved:
# (NULL, seconds until the chat may send, pause left) when the chat is not ready — call again
# then — and (NULL, NULL, pause left) when it is paused for longer than p_max_wait.
PACE_RESERVE = """
CREATE OR REPLACE FUNCTION pace_reserve(
    p_channel text,
    p_key text,
    p_every double precision,
    p_chat_every double precision,
    p_chat_burst integer,
    p_max_wait double precision,
    OUT slot double precision,
    OUT wait_seconds double precision,
    OUT paused_seconds double precision
) LANGUAGE plpgsql AS $$
DECLARE
    now_ts timestamptz := clock_timestamp();
    chat_tat timestamptz;
    chat_pause timestamptz;
    all_tat timestamptz;
    start_at timestamptz := clock_timestamp();
BEGIN
    paused_seconds := 0;
    IF p_key IS NOT NULL THEN
        INSERT INTO pace_slots (channel, key, tat) VALUES (p_channel, p_key, now_ts)
            ON CONFLICT DO NOTHING;
        SELECT s.tat, s.paused_until INTO chat_tat, chat_pause FROM pace_slots s
            WHERE s.channel = p_channel AND s.key = p_key FOR UPDATE;
        IF p_max_wait IS NOT NULL
                AND chat_pause > now_ts + make_interval(secs => p_max_wait) THEN
            paused_seconds := extract(epoch FROM chat_pause - now_ts);
            RETURN;
        END IF;
        start_at := greatest(
            now_ts,
            chat_tat - make_interval(secs => (p_chat_burst - 1) * p_chat_every),
            chat_pause
        );
        IF start_at > now_ts THEN
            -- The chat is not ready: nothing reserved, so the channel's slots stay free
            -- for the other chats (a 429 pause must not hold the whole channel).
            wait_seconds := extract(epoch FROM start_at - now_ts);
            paused_seconds := greatest(0, extract(epoch FROM chat_pause - now_ts));
            RETURN;
        END IF;
    END IF;
    IF p_every > 0 THEN
        INSERT INTO pace_slots (channel, key, tat) VALUES (p_channel, '', now_ts)
            ON CONFLICT DO NOTHING;
        SELECT s.tat INTO all_tat FROM pace_slots s
            WHERE s.channel = p_channel AND s.key = '' FOR UPDATE;
        start_at := greatest(start_at, all_tat);
        UPDATE pace_slots SET tat = start_at + make_interval(secs => p_every)
            WHERE channel = p_channel AND key = '';
    END IF;
    IF p_key IS NOT NULL THEN
        UPDATE pace_slots
            SET tat = greatest(chat_tat, start_at) + make_interval(secs => p_chat_every)
            WHERE channel = p_channel AND key = p_key;
    END IF;
    slot := extract(epoch FROM start_at);
    wait_seconds := extract(epoch FROM start_at - now_ts);
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "pace_slots",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tat", UtcDateTime(), nullable=False),
        sa.Column("paused_until", UtcDateTime(), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PACE_RESERVE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS pace_reserve(text, text, double precision, "
            "double precision, integer, double precision)"
        )
    op.drop_table("pace_slots")
