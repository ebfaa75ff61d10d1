"""Staff pages of a debate: moderation console, projected screen, report (mounted under /d/<CODE>/)."""

from django.urls import path

from . import views_moderation as moderation
from . import views_moderation_act as moderation_act
from . import views_moderation_panels as panels
from . import views_screen as screen

urlpatterns = [
    path("moderate/", moderation.console, name="moderate"),
    path("moderate/act", moderation_act.act, name="moderate_act"),
    path("moderate/official/", moderation.official_view, name="official_view"),
    path("moderate/merge", moderation.merge_choices, name="moderate_merge_choices"),
    path("moderate/q/<id:question>/more", panels.more_panel, name="moderate_more"),
    path("moderate/poll/<id:poll>/arguments", panels.poll_arguments_panel, name="moderate_poll_arguments"),
    path("moderate/screen-link", panels.screen_link_panel, name="moderate_screenlink"),
    path("moderate/settings/", moderation.settings_page, name="moderation_settings"),
    path("moderate/log/", moderation.log, name="moderation_log"),
    path("moderate/log.csv", moderation.log_csv, name="moderation_log_csv"),
    path("screen/<token:token>/", screen.screen, name="screen"),
    path("report/", screen.report, name="report"),
    path("export.<str:fmt>", screen.export, name="export"),
]
