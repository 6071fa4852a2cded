"""Golden vectors: real keepalived 2.2.7 packets as commented hex, and the tools that made them."""
