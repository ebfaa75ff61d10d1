"""The organiser's pages of one debate (mounted under /d/<CODE>/organise/)."""

from django.urls import path

from . import views_organise as organise
from . import views_organise_staff as organise_staff

urlpatterns = [
    path("", organise.edit, name="organise_edit"),
    path("status", organise.set_status, name="organise_status"),
    path("duplicate", organise.duplicate, name="organise_duplicate"),
    path("archive", organise.archive, name="organise_archive"),
    path("delete", organise.delete, name="organise_delete"),
    path("staff/", organise_staff.staff, name="organise_staff"),
    path("poster/", organise.poster, name="organise_poster"),
    path("screen-sheet/", organise.screen_sheet, name="organise_screen_sheet"),
    path("how-to/", organise.howto, name="organise_howto"),
    path("preview/", organise.preview, name="organise_preview"),
]
