"""Consultation pages of a debate (mounted under /d/<CODE>/): proposals, and their moderation."""

from django.urls import path

from . import views_consult as consult

urlpatterns = [
    path("proposals/", consult.proposals, name="proposals"),
    path("proposals/new", consult.propose, name="propose"),
    path("p/<id:proposal_id>/", consult.proposal_detail, name="proposal"),
    path("p/<id:proposal_id>/support", consult.proposal_support, name="proposal_support"),
    path("p/<id:proposal_id>/withdraw", consult.proposal_withdraw, name="proposal_withdraw"),
    path("p/<id:proposal_id>/flag", consult.proposal_flag, name="proposal_flag"),
    path("moderate/proposals/", consult.moderate_proposals, name="moderate_proposals"),
    path("moderate/proposals/act", consult.moderate_proposals_act, name="moderate_proposals_act"),
]
