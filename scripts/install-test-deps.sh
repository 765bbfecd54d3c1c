#!/usr/bin/env bash
# Installs the Debian packages Outpost's lab and tests use as real peers (see README).
# Safe to run again; needs root.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then echo "install-test-deps: run as root (apt-get)" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting lldpd/kamailio/tftpd in the host namespace.
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
pkgs=(iproute2 iptables nftables ethtool iputils-ping tcpdump tshark lldpd isc-dhcp-client udhcpc
  busybox dhcpcd-base dnsmasq-base kea-admin kea-dhcp4-server tftp-hpa tftpd-hpa atftp curl
  sip-tester kamailio baresip-core python3-scapy libpcap0.8 procps)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-test-deps: all Debian test peers present"
# atftpd conflicts with tftpd-hpa: unpack it beside the system instead of installing it
# (the TFTP benchmark and peer tests run it from here as a second upstream server).
ATFTPD_ROOT=/opt/outpost-test/atftpd
if [ ! -x "$ATFTPD_ROOT/usr/sbin/atftpd" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q atftpd >/dev/null)
  mkdir -p "$ATFTPD_ROOT"
  dpkg-deb -x "$tmp"/atftpd_*.deb "$ATFTPD_ROOT"
  rm -rf "$tmp"
fi
echo "install-test-deps: atftpd unpacked in $ATFTPD_ROOT"
