"""Every write of the domain, by entity. Each function validates, locks what it must, writes in one transaction,
logs moderator actions, and announces the widgets it changed (published after commit by live.publish).

Errors meant for people are raised as ServiceError with a translated message and an HTTP status. Call sites use
`services.<name>`; the names are re-exported here so they do not need to know the module of each entity.
"""

from __future__ import annotations

from ..errors import ServiceError
from ..permissions import has_role, require_moderator, require_official
from .arguments import (
    argument_post,
    argument_set_status,
    argument_upvote,
    argument_upvote_many,
)
from .clock import clock_action
from .common import announced
from .debates import (
    PRESENCE_SAMPLE_EVERY,
    debate_set_status,
    debate_update_settings,
    presence_record,
    role_assign,
    role_remove,
    screen_token_regenerate,
)
from .participants import (
    NOT_FOUND,
    Outcome,
    Stored,
    client_key,
    participant_known_to_browser,
    valid_client_key,
    one,
    keep_participation,
    participant_for_request,
    participant_join,
    participant_recover,
    participant_recovery_code,
    participant_rename,
    participant_set_muted,
    remember_participant,
)
from .polls import Ballot, poll_close, poll_create, poll_open, vote_cast, vote_cast_many
from .proposals import (
    consultation_update,
    proposal_flag,
    proposal_merge,
    proposal_moderate,
    proposal_submit,
    proposal_support,
    proposal_support_many,
    proposal_withdraw_support,
)
from .dates import consultation_set_dates, consultation_tick
from .texts import split_articles, text_publish, text_set_votes
from .voting import (
    poll_declare_result,
    poll_set_rules,
    voter_code_enter,
    voter_code_revoke,
    voter_codes_generate,
)
from .question_moderation import (
    answer_post,
    question_approve,
    question_edit,
    question_moderate_many,
    question_mark_answered,
    question_merge,
    question_put_on_screen,
    question_reject,
    question_star,
    question_undo,
)
from .questions import (
    question_submit,
    question_upvote,
    question_upvote_withdraw,
    question_upvote_many,
)
from .notes import staff_note_post
from .screen import screen_reveal, screen_show
from .text import matched_words
from .upvotes import Upvote

__all__ = [
    "NOT_FOUND",
    "PRESENCE_SAMPLE_EVERY",
    "Ballot",
    "Outcome",
    "ServiceError",
    "Stored",
    "announced",
    "Upvote",
    "answer_post",
    "argument_post",
    "argument_set_status",
    "argument_upvote",
    "client_key",
    "participant_known_to_browser",
    "valid_client_key",
    "argument_upvote_many",
    "clock_action",
    "debate_set_status",
    "debate_update_settings",
    "has_role",
    "matched_words",
    "one",
    "participant_for_request",
    "participant_join",
    "keep_participation",
    "participant_recover",
    "participant_recovery_code",
    "participant_rename",
    "participant_set_muted",
    "poll_close",
    "remember_participant",
    "poll_create",
    "poll_open",
    "presence_record",
    "question_approve",
    "question_edit",
    "question_mark_answered",
    "question_moderate_many",
    "question_merge",
    "question_put_on_screen",
    "question_reject",
    "question_star",
    "question_submit",
    "question_undo",
    "question_upvote",
    "question_upvote_many",
    "question_upvote_withdraw",
    "require_moderator",
    "require_official",
    "role_assign",
    "role_remove",
    "screen_reveal",
    "screen_show",
    "screen_token_regenerate",
    "staff_note_post",
    "vote_cast",
    "vote_cast_many",
    "consultation_update",
    "proposal_flag",
    "proposal_merge",
    "proposal_moderate",
    "proposal_submit",
    "proposal_support",
    "proposal_support_many",
    "proposal_withdraw_support",
    "poll_declare_result",
    "poll_set_rules",
    "voter_code_enter",
    "voter_code_revoke",
    "voter_codes_generate",
    "split_articles",
    "text_publish",
    "text_set_votes",
    "consultation_set_dates",
    "consultation_tick",
]
