"""Pure load-balancer planning: desired virtual/real servers, and the ops that reach them (sans-IO)."""
