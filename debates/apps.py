from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebatesConfig(AppConfig):
    name = "debates"
    verbose_name = _("Debates")

    def ready(self) -> None:
        from live import registry

        from . import fragments, selectors, services

        from . import signals  # noqa: F401  (staff sessions: sign-in, sign-out, last role removed)

        registry.set_renderer(fragments.render)
        registry.set_presence_hook(services.presence_record)
        registry.set_access(selectors.live_access, selectors.participant_for_live_token)
