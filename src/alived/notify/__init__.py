"""Notifications: scripts, FIFOs and e-mail, in keepalived's formats."""
