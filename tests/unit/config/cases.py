"""Small one-point configs with keepalived 2.2.7's `-t` verdict and first message.

Each was run through keepalived -t in a namespace with eth0..eth3 (the netns tier re-checks them
live); the unit tier checks alived gives the same exit code and a matching message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    text: str
    code: int
    reason: str = ""


CASES: dict[str, Case] = {
    "accept": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 accept
}
""",
        code=0,
    ),
    "ahv3": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 version 3
 authentication {
  auth_type PASS
  auth_pass x
 }
}
""",
        code=5,
        reason="(VI_1) VRRP version 3 does not support authentication. Ignoring.",
    ),
    "bfdnoneigh": Case(
        text="""\
bfd_instance b {
 min_rx 10
}
""",
        code=5,
        reason="Configuration error: BFD instance b has no neighbor address set",
    ),
    "drport": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 198.51.100.1 8080 {
  TCP_CHECK {
  }
 }
}
""",
        code=5,
        reason="WARNING - virtual server [192.0.2.9]:tcp:80 and real server [198.51.100.1]:tcp:8080 ports don't match - resetting",  # noqa: E501
    ),
    "dupname": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="vrrp instance VI_1 already defined",
    ),
    "duprs": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 198.51.100.1 80 {
  TCP_CHECK {
  }
 }
 real_server 198.51.100.1 80 {
  TCP_CHECK {
  }
 }
}
""",
        code=5,
        reason="VS [192.0.2.9]:tcp:80: real server [198.51.100.1]:tcp:80 is duplicated - removing second rs",
    ),
    "dupscript": Case(
        text="""\
vrrp_script s {
 script "/nonexistent/a"
}
vrrp_script s {
 script "/nonexistent/b"
}
""",
        code=0,
    ),
    "dupvip": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=0,
    ),
    "dupvrid": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_instance VI_2 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0",
    ),
    "emptyfile": Case(
        text="""\

""",
        code=0,
    ),
    "emptygroup": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_sync_group A {
 group {
 }
}
""",
        code=5,
        reason="Sync group A has no virtual router(s). removing",
    ),
    "flushon": Case(
        text="""\
global_defs {
 lvs_flush_onstop
}
""",
        code=0,
    ),
    "garpgroup": Case(
        text="""\
garp_group {
 garp_interval 0.1
 gna_interval 0.1
 interfaces {
  eth0
  eth1
 }
}
""",
        code=0,
    ),
    "globalunknown": Case(
        text="""\
global_defs {
 no_such_thing 1
}
""",
        code=5,
        reason="Unknown keyword 'no_such_thing'",
    ),
    "gna0": Case(
        text="""\
global_defs {
 vrrp_gna_interval 0
}
""",
        code=5,
        reason="number '0' outside range [0.000001, 4294.967295]",
    ),
    "gtrack": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_sync_group G {
 group {
  VI_1
 }
 global_tracking
}
""",
        code=5,
        reason="(G) global_tracking is deprecated. Use track_interface/script/file on the sync group",
    ),
    "gvmacgarp": Case(
        text="""\
global_defs {
 vrrp_vmac_garp_intvl 10
}
""",
        code=5,
        reason='Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"',
    ),
    "ipv6nolladdr": Case(
        text="""\
global_defs {
 vrrp_strict
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority 255
 virtual_ipaddress {
  2001:db8::1
 }
}
""",
        code=5,
        reason="the first IPv6 VIP address must be link local",
    ),
    "lbpoll": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 linkbeat_use_polling
}
""",
        code=5,
        reason="(VI_1) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block",
    ),
    "linkbeat": Case(
        text="""\
linkbeat_interfaces {
 eth0
 eth1 ETHTOOL
}
""",
        code=0,
    ),
    "lvssched": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lvs_sched rr
 lvs_method DR
 protocol TCP
 real_server 198.51.100.1 80 {
  TCP_CHECK {
  }
 }
}
""",
        code=0,
    ),
    "miscnopath": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 198.51.100.1 80 {
  MISC_CHECK {
  }
 }
}
""",
        code=5,
        reason="No script path has been specified for MISC_CHECKER - skipping",
    ),
    "missingclose": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }

""",
        code=5,
        reason="There are 1 missing '}'s or extra '{'s",
    ),
    "mixvip": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
  2001:db8::1
 }
}
""",
        code=5,
        reason="(VI_1): address family must match VRRP instance [2001:db8::1] - ignoring",
    ),
    "native6": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 native_ipv6
}
""",
        code=5,
        reason="(VI_1) Cannot specify native_ipv6 with IPv4 addresses",
    ),
    "nbget": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 198.51.100.1 80 {
  HTTP_GET {
   url {
    path /
   }
   nb_get_retry 3
  }
 }
}
""",
        code=5,
        reason="nb_get_retry is deprecated - please use 'retry'",
    ),
    "neighbour": Case(
        text="""\
bfd_instance b {
 neighbour_ip 192.0.2.2
}
""",
        code=0,
    ),
    "noaccept": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 no_accept
}
""",
        code=0,
    ),
    "noif": Case(
        text="""\
vrrp_instance VI_1 {
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="(VI_1) Unknown interface!",
    ),
    "noifunicast": Case(
        text="""\
vrrp_instance VI_1 {
 virtual_router_id 51
 unicast_peer {
  192.0.2.2
 }
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="(VI_1) Unknown interface!",
    ),
    "nolbalgo": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_kind NAT
 protocol TCP
 real_server 198.51.100.1 80 {
  TCP_CHECK {
  }
 }
}
""",
        code=5,
        reason="Virtual server [192.0.2.9]:tcp:80: no scheduler set, setting default 'wlc'",
    ),
    "nolbkind": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 protocol TCP
 real_server 198.51.100.1 80 {
  TCP_CHECK {
  }
 }
}
""",
        code=5,
        reason="Virtual server [192.0.2.9]:tcp:80: no forwarding method set, setting default NAT",
    ),
    "predelaynopre": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 state BACKUP
 nopreempt
 preempt_delay 3
}
""",
        code=5,
        reason="(VI_1) preempt_delay is incompatible with nopreempt mode - resetting",
    ),
    "predelaymaster": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 state MASTER
 priority 100
 preempt_delay 3
}
""",
        code=5,
        reason="(VI_1) Warning - preempt delay will not work with initial state MASTER - clearing",
    ),
    "nopremaster": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 state MASTER
 priority 100
 nopreempt
}
""",
        code=5,
        reason="(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing",
    ),
    "notifyexists": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 notify_master /bin/true
}
""",
        code=6,
        reason="SECURITY VIOLATION - scripts are being executed but script_security not enabled.",
    ),
    "notifynoexist": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 notify_master /nonexistent/alived/x.sh
}
""",
        code=0,
    ),
    "novip": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
}
""",
        code=5,
        reason="(VI_1) No VIP specified; at least one is sensible",
    ),
    "passlong": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 authentication {
  auth_type PASS
  auth_pass 0123456789
 }
}
""",
        code=5,
        reason="Truncating auth_pass to 8 characters",
    ),
    "peerfam": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 unicast_peer {
  2001:db8::2
 }
}
""",
        code=5,
        reason="Configuration error: VRRP instance[VI_1] and unicast peer address[2001:db8::2] MUST be of the same family !!! Skipping...",  # noqa: E501
    ),
    "persist": Case(
        text="""\
virtual_server 192.0.2.9 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 persistence_timeout
 real_server 198.51.100.1 80 {
 }
}
""",
        code=0,
    ),
    "preempt": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 preempt
}
""",
        code=0,
    ),
    "prio300": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 priority 300
}
""",
        code=5,
        reason="number '300' outside range [1, 255]",
    ),
    "rootunknown": Case(
        text="""\
no_such_root {
 a
}
""",
        code=5,
        reason="Unknown keyword 'no_such_root'",
    ),
    "routeunknown": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 virtual_routes {
  198.51.100.0/24 dev eth1 foo bar
 }
}
""",
        code=5,
        reason="unknown route keyword foo",
    ),
    "rsnochecker": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 198.51.100.1 80 {
 }
}
""",
        code=0,
    ),
    "rtime": Case(
        text="""\
global_defs {
 vrrp_rlimit_rtime 10000
}
""",
        code=0,
    ),
    "ruleunknown": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 virtual_rules {
  from 198.51.100.0/24 table 5 preference 5 foo
 }
}
""",
        code=5,
        reason="Unknown rule option foo",
    ),
    "scopebad": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 virtual_ipaddress_excluded {
  198.51.100.9 dev eth1 scope weird
 }
}
""",
        code=5,
        reason="Invalid scope 'weird' specified for 198.51.100.9 - ignoring",
    ),
    "scriptnouser": Case(
        text="""\
vrrp_script s {
 script "/bin/true"
 user nosuchuser
}
""",
        code=5,
        reason="Unable to set uid/gid for script '/bin/true'",
    ),
    "scriptuserunknown": Case(
        text="""\
global_defs {
 script_user nosuchuser
}
vrrp_script s {
 script "/bin/true"
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 track_script {
  s
 }
}
""",
        code=5,
        reason="Error setting global script uid/gid",
    ),
    "securescriptuserunknown": Case(
        text="""\
global_defs {
 enable_script_security
 script_user nosuchuser
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 notify_master /bin/true
}
""",
        code=5,
        reason="Error setting global script uid/gid",
    ),
    "notifyuserunknown": Case(
        text="""\
global_defs {
 enable_script_security
 script_user root
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 notify_master "/bin/true" nosuchuser
}
""",
        code=0,
    ),
    "scriptnotfound": Case(
        text="""\
vrrp_script s {
 script "/nonexistent/a"
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="Disabling track script s since not found/accessible",
    ),
    "scripttimeout": Case(
        text="""\
vrrp_script s {
 script "/nonexistent/a"
 interval 2
 timeout 0
 rise 0
}
""",
        code=5,
        reason="vrrp script timeout must be greater than 0",
    ),
    "smtpnoserver": Case(
        text="""\
global_defs {
 notification_email {
  a@example.org
 }
 smtp_alert
}
""",
        code=0,
    ),
    "snmpk": Case(
        text="""\
global_defs {
 enable_snmp_keepalived
}
""",
        code=0,
    ),
    "staticaddrnodev": Case(
        text="""\
static_ipaddress {
 198.51.100.1/24
}
""",
        code=0,
    ),
    "staticroute": Case(
        text="""\
static_routes {
 198.51.100.0/24 via 192.0.2.254
}
""",
        code=5,
        reason="Warning - cannot track route 198.51.100.0/24 with no interface specified, not tracking",
    ),
    "strictaccept": Case(
        text="""\
global_defs {
 vrrp_strict
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 accept
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="accept mode for VRRP version 2 does not comply with RFC3768",
    ),
    "strictv2v6": Case(
        text="""\
global_defs {
 vrrp_strict
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 version 2
 virtual_ipaddress {
  2001:db8::1
 }
}
""",
        code=5,
        reason="(VI_1) cannot use IPv6 with VRRP version 2; setting version 3",
    ),
    "trackif": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 track_interface {
  eth9
 }
}
""",
        code=5,
        reason="(VI_1) tracked interface eth9 doesn't exist",
    ),
    "trackprocmissing": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 track_process {
  nosuch
 }
}
""",
        code=5,
        reason="(VI_1) track process nosuch not found, ignoring...",
    ),
    "twogroups": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_instance VI_2 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_sync_group A {
 group {
  VI_1
  VI_2
 }
}
vrrp_sync_group B {
 group {
  VI_1
  VI_2
 }
}
""",
        code=5,
        reason="cannot exist in more than one sync group; ignoring B",
    ),
    "updown": Case(
        text="""\
interface_up_down_delays {
 eth0 0.5 2
 eth1 1
}
""",
        code=0,
    ),
    "v2v6": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 version 2
 virtual_ipaddress {
  2001:db8::1
 }
}
""",
        code=0,
    ),
    "v3adv": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 version 3
 advert_int 0.005
}
""",
        code=5,
        reason="number '0.005' outside range [0.010000, 255.000000]",
    ),
    "v3big": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 version 3
 advert_int 50
}
""",
        code=5,
        reason="(VI_1) VRRPv3 advertisement interval 50.00s is out of range. Must be less than 40.96s. Setting to 40.95s",  # noqa: E501
    ),
    "vipdev": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 virtual_ipaddress_excluded {
  198.51.100.1 dev eth9
 }
}
""",
        code=5,
        reason="WARNING - interface eth9 for ip address 198.51.100.1 doesn't exist",
    ),
    "vipunknownopt": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 virtual_ipaddress_excluded {
  198.51.100.9 dev eth1 foo
 }
}
""",
        code=5,
        reason="Unknown configuration entry 'foo' for ip address - ignoring",
    ),
    "vmacgarp": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 vmac_garp_intvl 10
}
""",
        code=5,
        reason='Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"',
    ),
    "vmacmac": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 use_vmac vrrp51 00:00:5e:00:01:33
}
""",
        code=5,
        reason="VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:33) - ignoring",
    ),
    "vmacunicast": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 use_vmac
 unicast_peer {
  192.0.2.2
 }
}
""",
        code=5,
        reason="(VI_1) unicast with use_vmac requires vmac_xmit_base - setting",
    ),
    "vs_group_missing": Case(
        text="""\
virtual_server group nosuch {
 lb_algo rr
 lb_kind NAT
 protocol TCP
}
""",
        code=0,
    ),
    "vsfwmarkgroup": Case(
        text="""\
virtual_server_group G {
 fwmark 3
}
virtual_server group G {
 lb_algo rr
 lb_kind NAT
 real_server 198.51.100.1 80 {
  TCP_CHECK {
  }
 }
}
""",
        code=0,
    ),
    "vsgroupok": Case(
        text="""\
virtual_server_group G {
 192.0.2.9 80
}
virtual_server group G {
 lb_algo rr
 lb_kind NAT
 protocol TCP
}
""",
        code=5,
        reason="Virtual server [G]:0 has no real servers - ignoring",
    ),
    "vsnors": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo rr
 lb_kind NAT
 protocol TCP
}
""",
        code=5,
        reason="Virtual server [192.0.2.9]:tcp:80 has no real servers - ignoring",
    ),
    "vsunknownkw": Case(
        text="""\
virtual_server 192.0.2.9 80 {
 lb_algo xx
 lb_kind NAT
 protocol TCP
 real_server 198.51.100.1 80 {
 }
}
""",
        code=5,
        reason="Invalid lvs_scheduler 'xx' - ignoring",
    ),
    "vtf": Case(
        text="""\
vrrp_track_file f1 {
 file /run/x
}
""",
        code=0,
    ),
    "weight0": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 track_interface {
  eth1 weight 254
 }
}
""",
        code=5,
    ),
    "weightfile": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 track_file {
  nosuch weight 3
 }
}
""",
        code=5,
        reason="(VI_1) track file nosuch not found, ignoring...",
    ),
    "uniwithoutpeer_src": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 unicast_src_ip 192.0.2.5
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.",  # noqa: E501
    ),
    "uniwithoutpeer_check": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 check_unicast_src
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.",  # noqa: E501
    ),
    "uniwithoutpeer_ttl": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 unicast_ttl 5
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="(VI_1): Cannot use unicast_ttl without unicast peers - resetting",
    ),
    "oldchksum_never": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 old_unicast_checksum never
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.",  # noqa: E501
    ),
    "oldchksum_badmode": Case(
        text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 old_unicast_checksum foo
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
        code=5,
        reason="Unknown old_unicast_chksum mode foo - ignoring",
    ),
}

# Fatal verdicts (keepalived's missing-parameter exit, CONFIG_FATAL and CONFIG_BAD_IF).
CASES.update(
    {
        "fatalbaredebug": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 debug
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=2,
            reason="*** Configuration line starting `debug` is missing a parameter after keyword `debug`",
        ),
        "fatalbarepriority": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 priority
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=2,
            reason="*** Configuration line starting `priority` is missing a parameter",
        ),
        "fatalnamelessscript": Case(
            text="""\
vrrp_script {
 script /bin/true
}
""",
            code=2,
            reason="*** Configuration line starting `vrrp_script` is missing a parameter",
        ),
        "fatallinkbeat": Case(
            text="""\
linkbeat_interfaces {
 eth9
}
""",
            code=4,
            reason="unknown interface eth9 specified for linkbeat interface",
        ),
        "fatalupdown": Case(
            text="""\
interface_up_down_delays {
 eth9 1 2
}
""",
            code=4,
            reason="unknown interface eth9 specified for up/down delay",
        ),
        "fataldefaultif": Case(
            text="""\
global_defs {
 default_interface eth9
}
static_ipaddress {
 192.0.2.5/24
}
""",
            code=4,
            reason="Static address 192.0.2.5/24 requires either an interface or default interface must exist",
        ),
        "badifroute": Case(
            text="""\
static_routes {
 192.0.2.0/24 dev eth9
}
""",
            code=5,
            reason="WARNING - interface eth9 for VROUTE nexthop doesn't exist",
        ),
        "badifrule": Case(
            text="""\
static_rules {
 from 192.0.2.0/24 table 100 iif eth9 preference 100
}
""",
            code=5,
            reason="WARNING - interface eth9 for rule doesn't exist",
        ),
        "badifgarp": Case(
            text="""\
garp_group {
 garp_interval 1
 interface eth9
}
""",
            code=5,
            reason="WARNING - interface eth9 specified for garp_group doesn't exist",
        ),
        "badifdynamic": Case(
            text="""\
global_defs {
 dynamic_interfaces
}
vrrp_instance VI_1 {
 interface eth9
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=0,
        ),
        "novipv3": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 version 3
}
""",
            code=5,
            reason="(VI_1) No VIP specified; at least one is required",
        ),
    }
)

# Found by the differential mutation runs (tests/corpus/mutants): one point each.
CASES.update(
    {
        "fatalroutedev": Case(
            text="""\
static_routes {
 192.0.2.0/24 dev
}
""",
            code=2,
            reason="Configuration line starting `192.0.2.0/24` is missing a parameter after keyword `dev`",
        ),
        "fatalrulefrom": Case(
            text="""\
static_rules {
 from
}
""",
            code=2,
            reason="*** Configuration line starting `from` is missing a parameter after keyword `from`",
        ),
        "addressnodev": Case(
            text="""\
static_ipaddress {
 192.0.2.1/24 dev
}
""",
            code=5,
            reason="No dev parameter specified for 192.0.2.1/24",
        ),
        "authnopass": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 authentication {
  auth_type PASS
 }
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=5,
            reason="(VI_1) Authentication specified but no password given. Ignoring",
        ),
        "connecttimeoutrange": Case(
            text="""\
virtual_server 192.0.2.10 80 {
 lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 192.0.2.20 80 {
  TCP_CHECK {
   connect_timeout 65536
  }
 }
}
""",
            code=5,
            reason="number '65536' outside range",
        ),
        "delayloophuge": Case(
            text="""\
virtual_server 192.0.2.10 80 {
 delay_loop 100000
 lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 192.0.2.20 80 {
  TCP_CHECK {
   connect_timeout 3
  }
 }
}
""",
            code=0,
        ),
        "misctimeoutfraction": Case(
            text="""\
global_defs {
 enable_script_security
 script_user root
}
virtual_server 192.0.2.10 80 {
 lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 192.0.2.20 80 {
  MISC_CHECK {
   misc_path /bin/true
   misc_timeout 1.5
  }
 }
}
""",
            code=5,
            reason="Invalid misc_timeout value '1.5'",
        ),
        "badifnosecurity": Case(
            text="""\
vrrp_script s {
 script /bin/true
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 track_interface {
  eth9
 }
 track_script {
  s
 }
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=5,
            reason="(VI_1) tracked interface eth9 doesn't exist",
        ),
        "unknownblockcontents": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
 foo_kw {
  debug
 }
}
""",
            code=2,
            reason="*** Configuration line starting `debug` is missing a parameter",
        ),
    }
)
CASES.update(
    {
        "vsnoprotocol": Case(
            text="""\
virtual_server 192.0.2.10 80 {
 lb_algo rr
 lb_kind DR
 real_server 192.0.2.20 80 {
  TCP_CHECK {
   connect_timeout 3
  }
 }
}
""",
            code=5,
            reason="no protocol set - defaulting to UDP",
        ),
        "vszeroport": Case(
            text="""\
virtual_server 192.0.2.10 {
 lb_algo rr
 lb_kind DR
 protocol TCP
 real_server 192.0.2.20 80 {
  TCP_CHECK {
   connect_timeout 3
  }
 }
}
""",
            code=5,
            reason="zero port only valid for persistent services - setting",
        ),
    }
)
CASES.update(
    {
        "timerexponent": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 advert_int 1e3
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=5,
            reason="invalid number '1e3'",
        ),
        "quorumtoohigh": Case(
            text="""\
virtual_server 192.0.2.10 80 {
 lb_algo rr
 lb_kind DR
 protocol TCP
 quorum 5
 real_server 192.0.2.20 80 {
  weight 2
  TCP_CHECK {
   connect_timeout 3
  }
 }
}
""",
            code=5,
            reason="exceeds total weight of real servers 2, reducing quorum to 2",
        ),
        "syncgrouprepeat": Case(
            text="""\
vrrp_sync_group G {
 group {
  VI_1
  VI_1
  VI_2
 }
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  192.0.2.1
 }
}
vrrp_instance VI_2 {
 interface eth0
 virtual_router_id 52
 virtual_ipaddress {
  192.0.2.2
 }
}
""",
            code=5,
            reason="Virtual router VI_1 cannot exist in more than one sync group; ignoring G",
        ),
        "fatalroutetype": Case(
            text="""\
static_routes {
 blackhole
}
""",
            code=2,
            reason="Configuration line starting `blackhole` is missing a parameter after keyword `blackhole`",
        ),
        "unbalancedpasses": Case(
            text="""\
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 track_interface
  eth1
 }
 track_file {
  tf
 }
 virtual_ipaddress {
  192.0.2.1
 }
}
""",
            code=2,
            reason="starting `track_file` is missing a parameter after keyword `track_file`",
        ),
    }
)
