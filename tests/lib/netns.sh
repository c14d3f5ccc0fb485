# Two network namespaces joined by one veth pair, for tests that send real packets (sourced after
# common.sh; needs root and `ip`). The test's own EXIT trap calls netns_delete.
#
#   netns_pair NS_A IF_A NS_B IF_B   both namespaces (skip 77 when they cannot be made), IPv6 and
#                                    forwarding off, lo up, the veth created directly inside them
#                                    (neither end ever exists in the host's namespace)
#   netns_assert_isolated NS IF PEER_NS NET SRC
#                                    before anything is sent from NS: it is not the host's
#                                    namespace, holds only lo and IF, IF's peer is in PEER_NS, and
#                                    its only routes are IF's connected NET (src SRC): no way out
#   netns_delete NS...

netns_pair() {
  local a=$1 if_a=$2 b=$3 if_b=$4 ns
  ip netns add "$a" 2>/dev/null || { echo "SKIP: cannot create network namespaces here (no CAP_SYS_ADMIN?)"; exit 77; }
  ip netns add "$b" || fail "cannot create namespace $b"
  for ns in "$a" "$b"; do
    # No IPv6: no link-local addresses, routes, router solicitations or MLD reports on the veth.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0
    ip netns exec "$ns" ip link set lo up
  done
  ip link add "$if_a" netns "$a" type veth peer name "$if_b" netns "$b" || fail "cannot create the veth pair"
}

netns_assert_isolated() {
  local ns=$1 dev=$2 peer=$3 net=$4 src=$5 links routes other
  [ "$(ip netns exec "$ns" readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)" ] ||
    fail "SAFETY: $ns is the host's network namespace"
  links=$(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
  [ "$links" = "$(printf '%s\n' lo "$dev" | sort | tr '\n' ' ')" ] ||
    fail "SAFETY: $ns has interfaces '$links', expected only lo and $dev"
  ip -n "$ns" -d -o link show "$dev" | grep -q "link-netns $peer" || fail "SAFETY: the peer of $dev is not in $peer"
  routes=$(ip -n "$ns" -4 route show table main | sed 's/ linkdown//; s/ *$//')
  [ "$routes" = "$net dev $dev proto kernel scope link src $src" ] ||
    fail "SAFETY: $ns routes are '$routes', expected only the connected $net"
  # Only the main table and the kernel's local table (this namespace's own addresses) hold routes.
  other=$(ip -n "$ns" -4 route show table all | grep -v "^local \|^broadcast " | grep -v "^$net dev $dev proto kernel" || true)
  [ -z "$other" ] || fail "SAFETY: unexpected routes in $ns: $other"
  [ -z "$(ip -n "$ns" -6 route show table all 2>/dev/null)" ] || fail "SAFETY: IPv6 routes in $ns"
}

netns_delete() {
  local ns
  for ns in "$@"; do ip netns del "$ns" 2>/dev/null || true; done
}
