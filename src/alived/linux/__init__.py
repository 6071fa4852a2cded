"""Thin Linux adapters, one OS resource each (raw sockets, netlink, AF_PACKET, scripts)."""
