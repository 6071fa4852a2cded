"""Load-balancer backends (nftables, IPVS): read the actual state, apply planned operations."""
