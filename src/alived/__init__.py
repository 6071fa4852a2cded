"""alived: keepalived rebuilt in Python (VRRP, health checks, load balancing)."""

__version__ = "0.1.0"
KEEPALIVED_COMPAT = "2.2.7"
