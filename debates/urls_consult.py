"""Consultation pages of a debate (mounted under /d/<CODE>/): proposals, and their moderation."""

from django.urls import path

from . import views_consult as consult
from . import views_texts as texts
from . import views_voting as voting

urlpatterns = [
    path("proposals/", consult.proposals, name="proposals"),
    path("proposals/new", consult.propose, name="propose"),
    path("p/<id:proposal_id>/", consult.proposal_detail, name="proposal"),
    path("p/<id:proposal_id>/support", consult.proposal_support, name="proposal_support"),
    path("p/<id:proposal_id>/withdraw", consult.proposal_withdraw, name="proposal_withdraw"),
    path("p/<id:proposal_id>/flag", consult.proposal_flag, name="proposal_flag"),
    path("moderate/proposals/", consult.moderate_proposals, name="moderate_proposals"),
    path("moderate/proposals/act", consult.moderate_proposals_act, name="moderate_proposals_act"),
    path("code", voting.enter_code, name="enter_code"),
    path("recovery", voting.recovery_code, name="recovery_code"),
    path("recover", voting.recover, name="recover"),
    path("t/<int:text_id>/", texts.text_page, name="text"),
    path("moderate/texts/", texts.texts_moderate, name="texts_moderate"),
    path("moderate/texts/act", texts.texts_act, name="texts_act"),
    path("moderate/votes/", voting.votes_page, name="votes_moderate"),
    path("moderate/votes/act", voting.votes_act, name="votes_act"),
]
