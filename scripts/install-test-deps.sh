#!/usr/bin/env bash
# Installs the real servers the integration tests start on loopback (README "Tests").
# Idempotent: packages already present are left alone. Debian/Ubuntu (apt-get) only.
set -euo pipefail

packages=(
  redis-server            # coordination + redis probe tests
  docker.io               # dockerd for container tests (vfs storage, no bridge)
  busybox-static          # root filesystem for the test image (docker import)
  prometheus-alertmanager # real Alertmanager + amtool for webhook tests
  postgresql              # pg_dump / pg_restore / postgres server for backup tests
  postgresql-client
  sqlite3                 # sqlite CLI used to prepare fixtures
  iproute2
  ca-certificates
  openssl                 # self-signed certificates for the tls probe tests
  docker-compose          # `docker-compose config` on the shipped docker-compose.yml (~0.5 MB + python3 libraries)
  prometheus              # promtool checks deploy/prometheus/opsbot-rules.yml (19 MB download; the server is not started)
  supervisor              # supervisord + supervisorctl for the supervisor service-manager tests (own config, unix socket)
  openssh-server          # sshd on a loopback port with a generated host key for the SSH host tests
  openssh-client          # ssh-keygen for the test keys
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-test-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# Do not start the packaged services: the tests start their own instances on loopback.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
$SUDO chmod +x /usr/sbin/policy-rc.d
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
$SUDO rm -f /usr/sbin/policy-rc.d
echo "install-test-deps: done"
