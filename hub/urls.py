from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (kept for reference: URLs stay language-neutral)
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path, register_converter

from debates import views, views_writes
from debates import views_organise, views_organise_staff
from hub import converters
from hub.login import ThrottledLoginView

register_converter(converters.JoinCodeConverter, "code")
register_converter(converters.IdConverter, "id")
register_converter(converters.TokenConverter, "token")

handler404 = "debates.views.not_found"
handler500 = "debates.views.server_error"

CODE = "<code:code>"

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        ThrottledLoginView.as_view(extra_context={"email_enabled": settings.EMAIL_ENABLED}),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Staff password reset (works when e-mail is set up: settings.EMAIL_ENABLED).
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("organise/", views_organise.dashboard, name="organise_dashboard"),
    path("organise/new/", views_organise.create, name="organise_create"),
    path("invite/<token:token>/", views_organise_staff.invitation, name="invitation"),
    path("api/debates", views.api_debates, name="api_debates"),
    path(f"api/d/{CODE}/state", views.api_state, name="api_state"),
    path(f"d/{CODE}/", views.citizen, name="citizen"),
    path(f"d/{CODE}/ask", views_writes.ask, name="ask"),
    path(f"d/{CODE}/name", views_writes.rename, name="rename"),
    path(f"d/{CODE}/me", views_writes.me, name="me"),
    path(f"d/{CODE}/questions", views.questions_window, name="questions_window"),
    path(f"d/{CODE}/poll/<id:poll_id>/arguments", views.poll_arguments, name="poll_arguments"),
    path(f"d/{CODE}/q/<id:question_id>/upvote", views_writes.upvote, name="upvote"),
    path(f"d/{CODE}/q/<id:question_id>/upvote/undo", views_writes.upvote_withdraw, name="upvote_withdraw"),
    path(f"d/{CODE}/poll/<id:poll_id>/vote", views_writes.vote, name="vote"),
    path(f"d/{CODE}/poll/<id:poll_id>/argue", views_writes.argue, name="argue"),
    path(f"d/{CODE}/arg/<id:argument_id>/support", views_writes.support, name="support"),
    path(f"d/{CODE}/", include("debates.urls_staff")),
    path(f"d/{CODE}/", include("debates.urls_consult")),
    path(f"d/{CODE}/organise/", include("debates.urls_organise")),
    re_path(rf"^(?P<code>{converters.JoinCodeConverter.regex})/?$", views.join_code, name="join_code"),
]
