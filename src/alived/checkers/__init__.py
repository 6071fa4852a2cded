"""Health-check probes, one module per keepalived checker keyword, found through base.REGISTRY."""
