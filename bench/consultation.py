"""The consultation-size debate of the content scenario (`make bench`, `--consultation`): 150,000 contributions by
13,000 participants, as the parliament's three-month consultation of issue 15 had, seeded in bulk.

- 15,000 approved and 1,000 pending questions with 30,000 upvotes (bench/content.py's seed_debate);
- 5,000 proposals (a few hundred held or hidden) with 50,000 supports, threshold 200: the most supported are official;
- a text of 10 articles, each with its yes/no/abstain vote (40,000 votes) and 9,000 arguments for and against;
- the three phases of the process (proposals → deliberation → vote), with dates around today.

The pages measured on it, beside the citizen page and the console: the proposals page, the most supported proposal's
page and the text's page (its articles), each with the citizen page's budgets.
"""

from __future__ import annotations

import random

from content import sentence, seed_debate

QUESTIONS = {
    "approved": 15000,
    "pending": 1000,
    "upvotes": 30000,
    "polls": 0,
    "votes": 0,
    "arguments": 0,
    "participants": 13000,
}
PROPOSALS, SUPPORTS, THRESHOLD = 5000, 50000, 200
ARTICLES, ARTICLE_VOTES, ARTICLE_ARGUMENTS = 10, 40000, 9000
CONTRIBUTIONS = (
    QUESTIONS["approved"]
    + QUESTIONS["pending"]
    + QUESTIONS["upvotes"]
    + PROPOSALS
    + SUPPORTS
    + ARTICLE_VOTES
    + ARTICLE_ARGUMENTS
)


def seed_consultation(user_id: int, rng: random.Random) -> dict:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from debates.models import Argument, Participant, Poll, PollOption, Vote
    from debates.models_consult import Article, Consultation, Phase, Proposal, ProposalSupport, Text

    out = seed_debate("Bench consultation", QUESTIONS, user_id, rng)
    now = timezone.now()
    batch = 5000
    with transaction.atomic():
        pids = list(Participant.objects.filter(debate_id=out["debate"]).values_list("pk", flat=True))
        consultation = Consultation.objects.create(
            debate_id=out["debate"],
            proposals_enabled=True,
            proposal_threshold=THRESHOLD,
            proposal_outcome=Consultation.Outcome.AGENDA,
            categories="Mobilité\nÉcoles\nLogement\nEspaces verts",
            opens_at=now - timedelta(days=60),
            closes_at=now + timedelta(days=30),
        )
        Phase.objects.bulk_create(
            [
                Phase(
                    consultation=consultation,
                    kind=kind,
                    starts_at=now + timedelta(days=a),
                    ends_at=now + timedelta(days=b),
                )
                for kind, a, b in (
                    (Phase.Kind.PROPOSALS, -60, 10),
                    (Phase.Kind.DELIBERATION, 10, 20),
                    (Phase.Kind.VOTE, 20, 30),
                )
            ]
        )
        # Supports: a long tail, drawn by proposal first so each proposal is created with its count.
        weights = [1 / (i + 1) ** 0.7 for i in range(PROPOSALS)]
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < SUPPORTS:
            for pi in rng.choices(range(PROPOSALS), weights=weights, k=SUPPORTS - len(pairs)):
                pairs.add((pi, rng.choice(pids)))
        counts: dict[int, int] = {}
        for pi, _p in pairs:
            counts[pi] = counts.get(pi, 0) + 1
        categories = consultation.categories.split("\n")
        proposals = []
        for i in range(PROPOSALS):
            n = counts.get(i, 0)
            status = Proposal.Status.OFFICIAL if n >= THRESHOLD else Proposal.Status.PUBLISHED
            if i % 25 == 24:
                status = Proposal.Status.HELD if i % 50 == 49 else Proposal.Status.HIDDEN
            proposals.append(
                Proposal(
                    debate_id=out["debate"],
                    author_id=rng.choice(pids),
                    title=sentence(rng, rng.randint(4, 12))[:-2],
                    text=" ".join(sentence(rng, rng.randint(10, 30)) for _ in range(rng.randint(1, 4))),
                    category=rng.choice(categories),
                    status=status,
                    support_count=n,
                    official_at=now - timedelta(days=1) if status == Proposal.Status.OFFICIAL else None,
                )
            )
        proposals = Proposal.objects.bulk_create(proposals, batch_size=batch)
        ProposalSupport.objects.bulk_create(
            [ProposalSupport(proposal_id=proposals[pi].pk, participant_id=p) for pi, p in pairs], batch_size=batch
        )
        text = Text.objects.create(
            debate_id=out["debate"], title="Projet de loi sur l'école", intro=sentence(rng, 40), position=0
        )
        polls, options = [], {}
        for k in range(ARTICLES):
            poll = Poll.objects.create(
                debate_id=out["debate"],
                text=f"Article {k + 1}",
                kind=Poll.Kind.YES_NO_ABSTAIN,
                status=Poll.Status.OPEN,
                results=Poll.Results.LIVE,
                position=k,
                opened_at=now,
            )
            options[poll.pk] = [
                o.pk
                for o in PollOption.objects.bulk_create(
                    [
                        PollOption(poll=poll, label=label, position=j)
                        for j, label in enumerate(["Oui", "Non", "Abstention"])
                    ]
                )
            ]
            Article.objects.create(
                text=text,
                position=k,
                title=f"Article {k + 1} : {sentence(rng, 6)[:-2]}",
                body="\n\n".join(sentence(rng, rng.randint(20, 60)) for _ in range(3)),
                poll=poll,
            )
            polls.append(poll)
        per_article = ARTICLE_VOTES // ARTICLES
        Vote.objects.bulk_create(
            [
                Vote(poll=poll, participant_id=pid, option_id=rng.choice(options[poll.pk]))
                for poll in polls
                for pid in rng.sample(pids, per_article)
            ],
            batch_size=batch,
        )
        Argument.objects.bulk_create(
            [
                Argument(
                    poll=rng.choice(polls),
                    author_id=rng.choice(pids),
                    side=rng.choice(["for", "against"]),
                    text=sentence(rng, rng.randint(10, 40)),
                )
                for _ in range(ARTICLE_ARGUMENTS)
            ],
            batch_size=batch,
        )
    top = max(range(PROPOSALS), key=lambda i: counts.get(i, 0))
    out["spec"] = {**QUESTIONS, "proposals": PROPOSALS, "supports": SUPPORTS, "article_votes": ARTICLE_VOTES}
    out["contributions"] = CONTRIBUTIONS
    out["extra_pages"] = {
        "proposals": "proposals/",
        "proposal": f"p/{proposals[top].pk}/",
        "text": f"t/{text.pk}/",
    }
    return out
