"""VRRP (RFC 3768 v2, RFC 5798 v3): codec, authentication, router state machine, sync groups."""
