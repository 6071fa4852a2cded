"""The VRRP child: everything that runs only in the process that speaks VRRP."""
