"""Unit tests of the VRRP codec, authentication and L2 announcement frames."""
