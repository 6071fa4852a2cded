"""E-mail alert settings from the config: global_defs to SmtpSettings, and who mails (smtp_alert).

The sending and the texts are notify/smtp.py; this is the config side, as keepalived fills its
defaults (global_data.c): router_id and the HELO name default to the local name (localname.py),
the sender to USER@LOCALNAME, the connect timeout to 30 s; an instance's smtp_alert falls back
to smtp_alert_vrrp, then smtp_alert (resolve.py), and a sync group's the same way.
A node name that does not resolve leaves keepalived with "[unknown]" as router_id, "localhost"
as HELO name and no sender at all, which its printf writes "(null)": the same here.
"""

from __future__ import annotations

import os
import pwd

from alived.config import model
from alived.localname import local_name, router_id
from alived.notify.smtp import SmtpSettings, VrrpMailer
from alived.units import to_seconds

NULL_SENDER = "(null)"


def settings_from(g: model.GlobalDefs) -> SmtpSettings | None:
    """The mail settings of global_defs; None when keepalived would send nothing."""
    if not g.smtp_server or not g.notification_email:
        return None
    name = local_name()
    sender = g.notification_email_from
    if sender is None:
        try:
            sender = f"{pwd.getpwuid(os.getuid()).pw_name}@{name}" if name else NULL_SENDER
        except KeyError:
            sender = NULL_SENDER
    return SmtpSettings(
        server=g.smtp_server,
        port=g.smtp_server_port,
        helo=g.smtp_helo_name or name or "localhost",
        sender=sender,
        recipients=tuple(g.notification_email),
        timeout=to_seconds(g.smtp_connect_timeout) or 30.0,
        router_id=router_id(g.router_id),
    )


def configure(mails: VrrpMailer, config: model.Config) -> None:
    """Give the VRRP mailer this config's settings and each instance's and group's smtp_alert."""
    g = config.global_defs
    enabled = {("INSTANCE", i.name): i.effective_smtp_alert for i in config.instances}
    for sg in config.sync_groups:
        flag = next(f for f in (sg.smtp_alert, g.smtp_alert_vrrp, g.smtp_alert, False) if f is not None)
        enabled[("GROUP", sg.name)] = flag
    mails.configure(settings_from(g), enabled, no_email_faults=g.no_email_faults)
