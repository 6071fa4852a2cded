"""The composition root: supervisor, VRRP process, reload, status."""
