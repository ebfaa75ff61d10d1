"""Open data of consultations: proposals, texts and their articles' votes, and declared results, for the CSV / JSON
exports and the state API. No identities (no author, no participant), and never a voter code: a code poll's votes
are exported as counts only, a declared result with its frozen tally and hash."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import selectors
from .models import Debate
from .models_consult import Article, Proposal, ResultDeclaration


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


def proposals_table(debate: Debate) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "id",
        "created_at",
        "status",
        "category",
        "title",
        "text",
        "supports",
        "official_at",
        "merged_into",
        "poll_id",
        "agenda_item",
    ]
    rows = (
        [
            p.pk,
            _iso(p.created_at),
            p.status,
            p.category,
            p.title,
            p.text,
            p.support_count,
            _iso(p.official_at),
            p.merged_into_id or "",
            p.poll_id or "",
            p.segment.title if p.segment else "",
        ]
        for p in Proposal.objects.filter(debate=debate)
        .exclude(status=Proposal.Status.HIDDEN)
        .exclude(status=Proposal.Status.HELD)
        .select_related("segment")
        .order_by("created_at", "id")
    )
    return header, rows


def articles_table(debate: Debate) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "text_id",
        "text",
        "article",
        "title",
        "poll_id",
        "status",
        "yes",
        "no",
        "abstain",
        "total",
        "declared_sha256",
    ]
    declared = dict(ResultDeclaration.objects.filter(poll__debate=debate).values_list("poll_id", "tally_sha256"))
    rows = []
    for a in (
        Article.objects.filter(text__debate=debate)
        .select_related("text", "poll")
        .order_by("text__position", "text_id", "position", "id")
    ):
        tally = selectors.poll_tally(a.poll)
        hidden = not a.poll.shows_results
        counts = ["" if hidden else o["count"] for o in tally["options"]][:3]
        rows.append(
            [
                a.text_id,
                a.text.title,
                a.position + 1,
                a.title,
                a.poll_id,
                a.poll.status,
                *counts,
                "" if hidden else tally["total"],
                declared.get(a.poll_id, ""),
            ]
        )
    return header, rows


def declarations(debate: Debate) -> list[dict[str, Any]]:
    return [
        {"poll_id": d.poll_id, "declared_at": _iso(d.declared_at), "tally": d.tally, "sha256": d.tally_sha256}
        for d in ResultDeclaration.objects.filter(poll__debate=debate).order_by("declared_at")
    ]


def _records(table: tuple[list[str], Iterable[list[Any]]]) -> list[dict[str, Any]]:
    header, rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def export_sections(debate: Debate) -> dict[str, Any]:
    """The consultation parts of export.json."""
    return {
        "proposals": _records(proposals_table(debate)),
        "articles": _records(articles_table(debate)),
        "declared_results": declarations(debate),
    }


def state_sections(debate: Debate, limit: int = 30) -> dict[str, Any]:
    """The consultation parts of /api/d/<CODE>/state: the most supported public proposals (a window) and the texts
    with their articles (each article's vote is in `polls`, by poll id)."""
    from .selectors_consult import consultation_of, public_proposals

    consultation = consultation_of(debate)
    texts = []
    for text in debate.texts.prefetch_related("articles").order_by("position", "id"):
        texts.append(
            {
                "id": text.pk,
                "title": text.title,
                "articles": [{"id": a.pk, "title": a.title, "poll_id": a.poll_id} for a in text.articles.all()],
            }
        )
    return {
        "proposals": {
            "enabled": bool(consultation and consultation.proposals_enabled),
            "threshold": consultation.proposal_threshold if consultation else None,
            "items": [
                {
                    "id": p.pk,
                    "title": p.title,
                    "text": p.text,
                    "category": p.category,
                    "status": p.status,
                    "supports": p.support_count,
                    "created_at": _iso(p.created_at),
                    "official_at": _iso(p.official_at) or None,
                    "poll_id": p.poll_id,
                }
                for p in public_proposals(debate, limit=limit)
            ],
        },
        "texts": texts,
    }
