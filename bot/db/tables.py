"""The Core (SQLAlchemy `Table`) of each model the repositories query, one name per table.

Repositories write `select(tables.submissions)` instead of each declaring its own aliases.
"""

from __future__ import annotations

from bot.db.models import ConversationStateRow, OutboxMessage, ProcessedMessage, User
from bot.db.models_faq import AbstainedQuestionRow
from bot.db.models_followup import Checkin, SupportRecord
from bot.db.models_intake import IntakeConsent, Submission, SubmissionDraft, SubmissionEvent
from bot.db.models_reminders import Deadline, DeadlineDone, SubmissionHolder, Subscription
from bot.db.types import table_of

users = table_of(User)
states = table_of(ConversationStateRow)
processed = table_of(ProcessedMessage)
outbox = table_of(OutboxMessage)
abstained = table_of(AbstainedQuestionRow)
consents = table_of(IntakeConsent)
submissions = table_of(Submission)
drafts = table_of(SubmissionDraft)
events = table_of(SubmissionEvent)
deadlines = table_of(Deadline)
done = table_of(DeadlineDone)
holders = table_of(SubmissionHolder)
subscriptions = table_of(Subscription)
supports = table_of(SupportRecord)
checkins = table_of(Checkin)
