"""The debate domain. Writes go through debates.services; reads through debates.selectors.

A package by entity; every model (and the field callables the migrations name) is importable from here, which is
where Django finds the app's models."""

from .debates import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Debate,
    default_language,
    default_time_zone,
    language_choices,
    new_join_code,
    new_secret_token,
    validate_join_code,
    validate_time_zone,
)
from .staff import DebateRole, Invitation, ModerationLog, StaffNote, StaffSessionEpoch
from .clock import AgendaSegment
from .participants import Participant, PresenceSample
from .questions import Answer, Question, QuestionUpvote
from .polls import Argument, ArgumentUpvote, Poll, PollOption, Vote

# Consultations (proposals, voter codes…) live in their own module; importing them here registers them with the app.
from ..models_consult import (
    Article,
    CodeUse,
    Consultation,
    Phase,
    PollRules,
    Proposal,
    ProposalFlag,
    ProposalSupport,
    ResultDeclaration,
    SecretBallot,
    Text,
    VoterCode,
)

__all__ = [
    "AgendaSegment",
    "Answer",
    "Argument",
    "ArgumentUpvote",
    "Article",
    "CodeUse",
    "Consultation",
    "Debate",
    "DebateRole",
    "Invitation",
    "JOIN_CODE_ALPHABET",
    "JOIN_CODE_LENGTH",
    "ModerationLog",
    "Participant",
    "Phase",
    "Poll",
    "PollOption",
    "PollRules",
    "PresenceSample",
    "Proposal",
    "ProposalFlag",
    "ProposalSupport",
    "Question",
    "QuestionUpvote",
    "ResultDeclaration",
    "SecretBallot",
    "StaffNote",
    "StaffSessionEpoch",
    "Text",
    "Vote",
    "VoterCode",
    "default_language",
    "default_time_zone",
    "language_choices",
    "new_join_code",
    "new_secret_token",
    "validate_join_code",
    "validate_time_zone",
]
