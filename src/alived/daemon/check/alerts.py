"""The checker child's e-mail alerts: the core's Mail actions worded and queued (smtp_alert).

The core decides when a mail goes (real server, virtual server, no_checker_emails, keepalived's
rules); this words the subject as keepalived's smtp.c (router_id, FMT_RS / FMT_VS, UP/DOWN) and
hands it to notify.smtp.Mailer, which only queues: sending never blocks the checker loop.
The global_defs -> SmtpSettings translation is shared with the VRRP side, in whose package it
has lived since the daemon/vrrp split (a light module: no pyroute2).
"""

from __future__ import annotations

from alived.config import model
from alived.core.check.actions import Mail
from alived.daemon.vrrp.mail_alerts import settings_from
from alived.notify.smtp import Mailer, checker_alert, real_server_removed_alert, virtual_server_alert


def wording(router_id: str | None, mail: Mail) -> tuple[str, str]:
    """(subject, body) of one Mail action."""
    if mail.kind == "vs":
        return virtual_server_alert(router_id, mail.virtual_server, mail.up, mail.body)
    if mail.kind == "rs_shut":
        subject, _ = real_server_removed_alert(
            router_id, mail.real_server, mail.virtual_server, stopping=True
        )
        return subject, mail.body
    subject, _ = checker_alert(router_id, mail.real_server, mail.virtual_server, mail.up, "")
    return subject, mail.body


class CheckMailer:
    def __init__(self, mailer: Mailer | None = None) -> None:
        self.mailer = mailer or Mailer(None)

    def configure(self, g: model.GlobalDefs) -> None:
        """Start and reload: global_defs' SMTP settings (None: nothing is ever sent)."""
        self.mailer.settings = settings_from(g)

    def send(self, mail: Mail) -> None:
        settings = self.mailer.settings
        if settings is not None:
            self.mailer.send(*wording(settings.router_id, mail))

    async def drain(self, timeout: float) -> None:
        await self.mailer.drain(timeout)
