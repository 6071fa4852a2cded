"""Pure health-check logic: what a probe's result means over time (sans-IO)."""
