#!/usr/bin/env bash
# Installs Outpost on a Debian/Raspberry Pi OS single-board computer (run as root from the checkout).
set -euo pipefail
apt-get update -q
apt-get install -y -q --no-install-recommends nodejs npm python3 make g++ ca-certificates
id outpost >/dev/null 2>&1 || useradd --system --home /var/lib/outpost --shell /usr/sbin/nologin outpost
mkdir -p /opt/outpost /etc/outpost /var/lib/outpost
cp -r package.json package-lock.json binding.gyp tsconfig.json tsconfig.build.json bin src config /opt/outpost/
(cd /opt/outpost && npm ci && npm prune --omit=dev)
[ -f /etc/outpost/outpost.yaml ] || cp config/example.yaml /etc/outpost/outpost.yaml
chown -R outpost:outpost /var/lib/outpost
install -m 0644 board/generic/outpost.service /etc/systemd/system/outpost.service
install -m 0644 board/generic/90-outpost.conf /etc/sysctl.d/90-outpost.conf && sysctl -q -p /etc/sysctl.d/90-outpost.conf
systemctl daemon-reload
echo "Edit /etc/outpost/outpost.yaml, then: systemctl enable --now outpost"
