"""Django's admin app with the console's site as the default one: every `@admin.register` in the
apps lands on `fenxiao.console.site.ConsoleSite`."""

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    default_site = "fenxiao.console.site.ConsoleSite"
