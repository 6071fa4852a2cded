"""The checker child: probes from checkers/ scheduled and judged by core/check."""
