"""Layer-2 announcements as bytes: gratuitous ARP and unsolicited neighbour advertisements."""
