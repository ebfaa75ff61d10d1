"""The "supports" scenario (issue 15's target): a burst of proposal supports, 1,000/s for 10 s, through the citizens'
own route (POST /d/<CODE>/p/<id>/support, served by the hot path's group commit), with 1,000 pages listening.

Ten proposals of one consultation get 1,000 supports each; their threshold is 500. In the first half of the burst they
are supported one after the other, so one crosses every half second (each in its own flush); in the second half all
are supported in turn, after their crossing. Measured: supports acknowledged = stored, each once (the
counter column equals the rows), every proposal official exactly once (one log entry and one poll each), and how
long after the crossing's commit every listening page had the news (`proposal-news`): the crossing time is the
proposal's `official_at`, set inside the transaction before its commit, so the figure is an upper bound.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from types import ModuleType

PROPOSALS = 10  # each gets total / 10 supports; its threshold is half of that


def seed(run: ModuleType, user_id: int, threshold: int) -> dict:
    """A live debate accepting proposals (no premoderation), its moderator, and the proposals, through services."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from debates import services
    from debates.models_consult import Consultation

    user = get_user_model().objects.get(pk=user_id)
    debate = run.live_debate(user, "Bench consultation", premoderation=False)
    services.consultation_update(
        debate=debate,
        actor=user,
        proposals_enabled=True,
        proposal_threshold=threshold,
        proposal_outcome=Consultation.Outcome.POLL,
    )
    author = services.participant_join(debate=debate)
    proposals = {}
    for k in range(PROPOSALS):
        title = f"Proposition n°{k + 1} : un banc de plus place du marché"
        proposal = services.proposal_submit(debate=debate, participant=author, title=title, text="Pour les aînés.")
        proposals[proposal.pk] = title
    connections.close_all()
    return {"debate": debate.pk, "code": debate.code, "proposals": proposals}


def outcome(debate_id: int) -> dict:
    """What the database holds after the burst."""
    from django.db import connections
    from django.db.models import Count

    from debates.models import ModerationLog, Poll
    from debates.models_consult import Proposal, ProposalSupport

    proposals = list(Proposal.objects.filter(debate_id=debate_id))
    rows = ProposalSupport.objects.filter(proposal__debate_id=debate_id)
    stored = rows.count()
    distinct = rows.values("proposal_id", "participant_id").distinct().count()
    official_logs = (
        ModerationLog.objects.filter(debate_id=debate_id, action="proposal_official")
        .values("object_id")
        .annotate(n=Count("id"))
    )
    out = {
        "stored": stored,
        "distinct_pairs": distinct,
        "counters_match": {p.pk: p.support_count for p in proposals if p.support_count}
        == dict(rows.values("proposal_id").annotate(n=Count("id")).values_list("proposal_id", "n")),
        "official": sum(1 for p in proposals if p.official_at is not None),
        "official_at": {p.pk: p.official_at.timestamp() for p in proposals if p.official_at is not None},
        "log_entries_per_official": sorted({e["n"] for e in official_logs}),
        "polls_made": Poll.objects.filter(debate_id=debate_id).count(),
    }
    connections.close_all()
    return out


def scenario_supports(args, ctx, run: ModuleType) -> dict:
    """run: bench/run.py's module (its Server, Clients, wait_idle, pct and cores)."""
    from load import voter_worker
    from socket_voters import socket_voter_worker

    rate, seconds = args.support_rate, args.support_seconds
    total = int(rate * seconds)
    threshold = max(1, total // PROPOSALS // 2)
    info = seed(run, ctx["info"]["user"], threshold)
    code, titles = info["code"], info["proposals"]
    n_clients = args.support_clients
    port = ctx["ports"].take()
    server = run.Server("daphne", port, ctx["env"], run.SERVER_CORE, ctx["logdir"])
    try:
        clients = run.Clients(run.ws_urls([port], code), n_clients, rate=300.0, poll_id=0, workers=2)
        ok, failed = clients.wait_ready(timeout=n_clients / 100 + 60)
        routes = [f"/d/{code}/p/{pid}/support" for pid in titles]
        crossing = [routes[i // threshold] for i in range(threshold * PROPOSALS)]  # one after the other
        paths = crossing + [routes[i % PROPOSALS] for i in range(total - len(crossing))]  # then all in turn
        mpctx = mp.get_context("fork")
        ready_q, start_q, result_q = mpctx.Queue(), mpctx.Queue(), mpctx.Queue()
        workers = 2
        procs = []
        transport = args.support_transport
        for w in range(workers):
            p = mpctx.Process(
                target=voter_worker if transport == "http" else socket_voter_worker,
                daemon=True,
                args=(w, [port], code, 0, [], total, w, workers, rate, ready_q, start_q, result_q, paths)
                + (() if transport == "http" else ({"http-sockets": "http"}.get(transport, transport),)),
            )
            p.start()
            os.sched_setaffinity(p.pid, {int(run.LOAD_CORE)})
            procs.append(p)
        prepared = 0
        for _ in procs:
            prepared += ready_q.get(timeout=total / 20 + 120)[1]
        run.log("supports", f"{prepared} supporters are ready ({transport})")
        run.wait_idle([server], quiet=0.3, limit=10)
        t0 = time.time() + 0.5
        cpu0 = server.cpu()
        for _ in procs:
            start_q.put(t0)
        sent = []
        for _ in procs:
            _w, res = result_q.get(timeout=seconds + 120)
            sent += res.get("votes", [])
        if transport == "http":
            for p in procs:
                p.join(5)
        time.sleep(2.0)
        run.wait_idle([server], quiet=0.5, limit=20)
        cpu1 = server.cpu()
        if transport != "http":  # the supporters' sockets close now, outside the measured CPU
            for p in procs:
                start_q.put("close")
            for p in procs:
                p.join(15)
        conns = run.connections_of(clients.finish())
    finally:
        server.stop()
    stored = outcome(info["debate"])
    acked = [s for s in sent if s[3] == 200]
    latency = [(s[2] - s[1]) * 1000 for s in acked]
    by_title = {title: stored["official_at"].get(pid) for pid, title in titles.items()}
    announce_ms, missing, missed = [], 0, {}
    for c in conns:
        seen: dict[str, float] = {}
        for t, title in c.get("news", []):
            seen.setdefault(title, t)
        for title, at in by_title.items():
            if at is None:
                continue
            if title in seen:
                announce_ms.append(max(0.0, (seen[title] - at) * 1000))
            else:
                missing += 1
                missed[title] = missed.get(title, 0) + 1
    out = {
        "transport": transport,
        "clients": n_clients,
        "threshold": threshold,
        "connected": ok,
        "connect_failures": failed,
        "supports_sent": len(sent),
        "acked": len(acked),
        "statuses": {str(s): sum(1 for v in sent if v[3] == s) for s in {v[3] for v in sent}},
        "support_p50_ms": run.pct(latency, 50),
        "support_p99_ms": run.pct(latency, 99),
        "cpu_ms_per_support": (cpu1 - cpu0) * 1000 / max(1, len(acked)),
        "announce_p50_ms": run.pct(announce_ms, 50),
        "announce_max_ms": max(announce_ms, default=float("nan")),
        "announcements_missing": missing,
        "missing_by_proposal": missed,
        **{k: v for k, v in stored.items() if k != "official_at"},
    }
    run.log("supports", out)
    return out


def report(r: dict, row) -> None:
    row(
        f"supports {r['transport']}",
        "supports sent / acknowledged (200) / stored / distinct (proposal, participant)",
        f"{r['supports_sent']} / {r['acked']} / {r['stored']} / {r['distinct_pairs']}",
        "stored = acked, each once",
        r["stored"] == r["acked"] == r["distinct_pairs"] and r["counters_match"],
    )
    row(
        f"supports {r['transport']}",
        f"proposals official / log entries each / polls made (of {PROPOSALS}, threshold {r['threshold']})",
        f"{r['official']} / {r['log_entries_per_official']} / {r['polls_made']}",
        "all, exactly once",
        r["official"] == PROPOSALS and r["log_entries_per_official"] == [1] and r["polls_made"] == PROPOSALS,
    )
    row(
        f"supports {r['transport']}",
        "threshold crossing → news on every page: p50 / max (ms); pages × proposals missing it",
        f"{r['announce_p50_ms']:.0f} / {r['announce_max_ms']:.0f}; {r['announcements_missing']}",
        "≤ 1000 ms, 0 missing",
        r["announcements_missing"] == 0 and r["announce_max_ms"] <= 1000,
    )
    row(
        f"supports {r['transport']}",
        "support latency p50 / p99 (ms); server CPU per support (ms)",
        f"{r['support_p50_ms']:.0f} / {r['support_p99_ms']:.0f}; {r['cpu_ms_per_support']:.2f}",
        "",
    )


def add_arguments(parser) -> None:
    parser.add_argument("--support-rate", type=float, default=1000.0, help="supports scenario: supports per second")
    parser.add_argument("--support-seconds", type=float, default=10.0, help="supports scenario: burst length (s)")
    parser.add_argument("--support-clients", type=int, default=1000, help="supports scenario: listening pages")
    parser.add_argument(
        "--support-transport",
        choices=["http", "http-sockets", "socket"],
        default="socket",
        help="supports scenario: write frames over the page's socket (socket, the default: what the proposals page "
        "sends), form posts (http), or form posts by supporters who also hold the page's socket (http-sockets)",
    )
