#!/usr/bin/env bash
# natlab.sh — a NAT lab made of network namespaces, veth pairs, bridges and
# iptables NAT routers. Needs root, iproute2 and iptables (nft or legacy).
# Nothing leaves the namespaces: no interface is created in the caller's
# namespace and only lab addresses are used (203.0.113.0/24 = "internet",
# 10.1.0.0/24 and 10.2.0.0/24 = private LANs, 192.168.77.0/24 = offline LAN).
#
# Usage:
#   natlab.sh up PREFIX VARIANT      build a lab; VARIANT is one of
#        cone            a and b each behind a port-restricted cone NAT
#                        (plain MASQUERADE: Linux keeps the source port, and
#                        conntrack only lets back in what answers a flow)
#        symmetric-one   a behind a symmetric NAT (MASQUERADE --random-fully),
#                        b behind a port-restricted cone NAT
#        symmetric-both  a and b both behind symmetric NATs
#        lan             a and b on one bridge, no default route, no router;
#                        the keeper exists but cannot be reached
#   natlab.sh down PREFIX            remove every namespace of PREFIX (idempotent)
#   natlab.sh exec PREFIX HOST -- CMD...   run CMD inside HOST's namespace
#   natlab.sh list                   list lab namespaces (PREFIX-HOST)
#   natlab.sh addr HOST              print the lab address of HOST
#
# PREFIX: 2–8 characters [a-z0-9]; every namespace is named PREFIX-HOST, so
# `natlab.sh list` / `down` find stale labs. HOSTs:
#   inet    the "internet": bridge br0, no address of its own
#   keeper  203.0.113.10/24 (also .11 .12 .13 for extra DHT nodes), on inet
#   ra, rb  NAT routers: wan 203.0.113.101 / .102 on inet, lan 10.1.0.1 / 10.2.0.1
#   a, b    NAT variants: 10.1.0.2 / 10.2.0.2, default route via ra / rb
#           lan variant:  192.168.77.2 / 192.168.77.3 on the bridge of PREFIX-lan
#   lan     lan variant only: bridge br0 joining a and b
#
# Multicast on the lan variant: lo is up, eth0 has MULTICAST, the bridge has
# multicast snooping off (224.0.0.251 is flooded anyway; off makes it
# unconditional). Because the hosts have no default route, a socket that
# does not pick an outgoing interface (IP_MULTICAST_IF) gets ENETUNREACH when
# sending to 224.0.0.251; so each lan host gets `224.0.0.0/4 dev eth0`, which
# is what a desktop OS has on a LAN without internet. Set
# NATLAB_LAN_MCAST_ROUTE=0 to leave it out (to test code that must set the
# interface itself).
#
# ip_forward is enabled only inside the router namespaces (ra, rb); namespaces
# get their own net.ipv4 sysctls, so the host's settings are not touched.
set -euo pipefail

NAT_HOSTS=(keeper ra rb a b inet)
LAN_HOSTS=(keeper a b inet lan)

die() { echo "natlab: $*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

check_env() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (ip netns and iptables need CAP_NET_ADMIN): run as root; apt-get install -y iproute2 iptables"
  command -v ip >/dev/null 2>&1 || die "ip not found: run as root; apt-get install -y iproute2 iptables"
  command -v iptables >/dev/null 2>&1 || die "iptables not found: run as root; apt-get install -y iproute2 iptables"
}

check_prefix() {
  [[ ${1:-} =~ ^[a-z0-9]{2,8}$ ]] || die "bad PREFIX '${1:-}': want 2-8 chars of [a-z0-9]"
}

addr_of() {
  case $1 in
    keeper) echo 203.0.113.10 ;;
    ra) echo 203.0.113.101 ;;
    rb) echo 203.0.113.102 ;;
    a) echo 10.1.0.2 ;;
    b) echo 10.2.0.2 ;;
    a-lan) echo 192.168.77.2 ;;
    b-lan) echo 192.168.77.3 ;;
    *) die "no address for host '$1'" ;;
  esac
}

# Namespaces of a prefix (exact PREFIX-… match).
lab_namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-[a-z]+$" || true
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# veth NS1 IF1 NS2 IF2: a veth pair created directly inside the namespaces,
# so nothing ever appears in the caller's namespace.
veth() {
  # `name` is required: `ip link add a …` would parse "a" as "address".
  ip -n "$1" link add name "$2" type veth peer name "$4" netns "$3"
}

new_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
}

mk_bridge() {
  ip -n "$1" link add name br0 type bridge
  # Flood all multicast; no IGMP querier exists in the lab.
  ip -n "$1" link set br0 type bridge mcast_snooping 0
  ip -n "$1" link set br0 up
}

# router P NAME LANNET WANADDR MODE: WAN on the internet bridge, LAN veth to host.
router() {
  local P=$1 r=$2 lannet=$3 wan=$4 mode=$5 host=$6
  local rns=$P-$r hns=$P-$host
  veth "$P-inet" "$r" "$rns" wan
  ip -n "$P-inet" link set dev "$r" master br0 up
  ip -n "$rns" addr add "$wan/24" dev wan
  ip -n "$rns" link set wan up
  veth "$rns" lan "$hns" eth0
  ip -n "$rns" addr add "$lannet.1/24" dev lan
  ip -n "$rns" link set lan up
  ip -n "$hns" addr add "$lannet.2/24" dev eth0
  ip -n "$hns" link set eth0 up
  ip -n "$hns" route add default via "$lannet.1"
  nsx "$rns" sysctl -qw net.ipv4.ip_forward=1
  local extra=()
  [[ $mode == symmetric ]] && extra=(--random-fully)
  nsx "$rns" iptables -w -t nat -A POSTROUTING -s "$lannet.0/24" -o wan -j MASQUERADE "${extra[@]}"
  # The router forwards only LAN -> WAN and the replies (conntrack); nothing
  # unsolicited comes in from the internet (that is what makes it a NAT box).
  nsx "$rns" iptables -w -P FORWARD DROP
  nsx "$rns" iptables -w -A FORWARD -i lan -o wan -j ACCEPT
  nsx "$rns" iptables -w -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  wan_distance "$rns" wan
}

# wan_distance NS IFACE: emulate the hops of a real internet path. In this lab
# the two NATs are 2 hops apart, so a "low TTL" packet (hyperdht opens its own
# NAT mapping with TTL 5, expecting it to die on the way) would reach the
# other NAT, create an UNREPLIED conntrack entry there, and make that NAT
# remap the port of its own host's later packet (nf_nat clash) — hole punching
# then fails between two Linux NATs. Drop such packets on WAN ingress in the
# raw table (before conntrack sees them). NATLAB_WAN_HOPS=0 disables this.
wan_distance() {
  local hops=${NATLAB_WAN_HOPS:-8}
  [[ $hops -gt 0 ]] || return 0
  nsx "$1" iptables -w -t raw -A PREROUTING -i "$2" -m ttl --ttl-lt $((hops + 1)) -j DROP
}

cmd_up() {
  local P=$1 variant=$2
  case $variant in cone | symmetric-one | symmetric-both | lan) ;; *) die "unknown VARIANT '$variant' (cone|symmetric-one|symmetric-both|lan)" ;; esac
  [[ -z $(lab_namespaces "$P") ]] || die "lab '$P' already exists (natlab.sh down $P)"
  UP_PREFIX=$P
  trap 'rc=$?; if [[ $rc -ne 0 ]]; then echo "natlab: up $UP_PREFIX failed, cleaning up" >&2; cmd_down "$UP_PREFIX"; fi' EXIT

  local hosts=("${NAT_HOSTS[@]}")
  [[ $variant == lan ]] && hosts=("${LAN_HOSTS[@]}")
  local h
  for h in "${hosts[@]}"; do new_ns "$P-$h"; done

  # internet + keeper
  mk_bridge "$P-inet"
  veth "$P-inet" kp "$P-keeper" eth0
  ip -n "$P-inet" link set dev kp master br0 up
  ip -n "$P-keeper" addr add 203.0.113.10/24 dev eth0
  for h in 11 12 13; do ip -n "$P-keeper" addr add "203.0.113.$h/24" dev eth0; done
  ip -n "$P-keeper" link set eth0 up
  wan_distance "$P-keeper" eth0

  case $variant in
    cone)
      router "$P" ra 10.1.0 203.0.113.101 cone a
      router "$P" rb 10.2.0 203.0.113.102 cone b ;;
    symmetric-one)
      router "$P" ra 10.1.0 203.0.113.101 symmetric a
      router "$P" rb 10.2.0 203.0.113.102 cone b ;;
    symmetric-both)
      router "$P" ra 10.1.0 203.0.113.101 symmetric a
      router "$P" rb 10.2.0 203.0.113.102 symmetric b ;;
    lan)
      mk_bridge "$P-lan"
      local ip
      for h in a b; do
        ip=$(addr_of "$h-lan")
        veth "$P-lan" "$h" "$P-$h" eth0
        ip -n "$P-lan" link set dev "$h" master br0 up
        ip -n "$P-$h" addr add "$ip/24" dev eth0
        ip -n "$P-$h" link set eth0 multicast on up
        if [[ ${NATLAB_LAN_MCAST_ROUTE:-1} != 0 ]]; then
          ip -n "$P-$h" route add 224.0.0.0/4 dev eth0
        fi
      done ;;
  esac

  verify "$P" "$variant"
  trap - EXIT
}

# udp_noports NS: the "Udp: NoPorts" counter of NS (datagrams that arrived
# for a port nobody listens on).
udp_noports() {
  nsx "$1" awk '/^Udp:/ { if (seen) { print $3; exit } seen = 1 }' /proc/net/snmp
}

# udp_reaches FROM_NS TO_NS TO_ADDR: send one datagram to TO_ADDR:9 (discard,
# nobody listens) and check that it arrived in TO_NS. No ping needed.
udp_reaches() {
  local before after i
  before=$(udp_noports "$2")
  nsx "$1" bash -c "echo natlab >/dev/udp/$3/9" 2>/dev/null || return 1
  for i in 1 2 3 4 5 6 7 8 9 10; do
    after=$(udp_noports "$2")
    [[ $after -gt $before ]] && return 0
    sleep 0.05
  done
  return 1
}

# Sanity checks, so that a lab that "came up" really works.
verify() {
  local P=$1 variant=$2
  if [[ $variant == lan ]]; then
    udp_reaches "$P-a" "$P-b" 192.168.77.3 || die "lan: a cannot reach b"
    udp_reaches "$P-b" "$P-a" 192.168.77.2 || die "lan: b cannot reach a"
    if nsx "$P-a" bash -c 'echo x >/dev/udp/203.0.113.10/9' 2>/dev/null; then die "lan: the keeper must be unreachable"; fi
    return 0
  fi
  local r h n
  for r in ra rb; do
    h=b; [[ $r == ra ]] && h=a
    udp_reaches "$P-$h" "$P-keeper" 203.0.113.10 || die "$variant: $h cannot reach the keeper through $r (NAT broken?)"
    # The datagram must have gone through MASQUERADE (source rewritten to the WAN address).
    n=$(nsx "$P-$r" iptables -w -t nat -L POSTROUTING -v -n -x | awk '/MASQUERADE/ {print $1; exit}')
    [[ ${n:-0} -gt 0 ]] || die "$variant: MASQUERADE on $r matched no packet ($(iptables --version))"
  done
  # Nothing unsolicited gets from the internet to a host behind a NAT.
  if udp_reaches "$P-keeper" "$P-a" 10.1.0.2 2>/dev/null; then die "$variant: a must not be reachable from the internet"; fi
  return 0
}

cmd_down() {
  local P=$1 ns pids
  for ns in $(lab_namespaces "$P"); do
    # Kill what still runs inside (leftovers of a crashed test), then delete.
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n $pids ]] && kill -9 $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  # Deleting a namespace destroys its veth ends, and the peers with them.
  return 0
}

cmd_list() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^[a-z0-9]{2,8}-(inet|keeper|ra|rb|a|b|lan)$' || true
}

main() {
  local cmd=${1:-}
  [[ -n $cmd ]] || usage
  shift
  case $cmd in
    up)
      [[ $# -eq 2 ]] || usage
      check_env; check_prefix "$1"; cmd_up "$1" "$2" ;;
    down)
      [[ $# -eq 1 ]] || usage
      check_env; check_prefix "$1"; cmd_down "$1" ;;
    exec)
      [[ $# -ge 4 && $3 == -- ]] || usage
      check_env; check_prefix "$1"
      local ns=$1-$2
      shift 3
      ip netns list | awk '{print $1}' | grep -qx -- "$ns" || die "no namespace $ns (is lab '${ns%%-*}' up?)"
      exec ip netns exec "$ns" "$@" ;;
    list)
      check_env; cmd_list ;;
    addr)
      [[ $# -eq 1 ]] || usage
      addr_of "$1" ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
