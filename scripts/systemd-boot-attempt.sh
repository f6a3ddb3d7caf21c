#!/usr/bin/env bash
# Tries to boot systemd in a container of a throwaway dockerd (vfs, no bridge, like
# test/support/docker.ts): a Debian bookworm rootfs made by debootstrap with systemd and busybox,
# a unit `hello-http` serving HTTP (busybox httpd on 127.0.0.1:18089) and a unit `broken` that
# fails on start. Prints each step's time; leaves the container running (and prints how to stop
# it) only with KEEP=1. Usage: scripts/systemd-boot-attempt.sh [workdir]   (root, Linux)
set -euo pipefail
WORK=${1:-/tmp/opsbot-systemd-boot}
ROOTFS=$WORK/rootfs
START=$(date +%s)
step() { echo "[$(( $(date +%s) - START ))s] $*"; }
mkdir -p "$WORK"
if [ ! -x "$ROOTFS/lib/systemd/systemd" ]; then
  step "debootstrap bookworm (minbase + systemd, systemd-sysv, busybox)"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,busybox bookworm "$ROOTFS" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1
fi
step "units: hello-http (busybox httpd), broken (exits 3 after a line on stderr)"
mkdir -p "$ROOTFS/srv/www"
echo ok >"$ROOTFS/srv/www/index.html"
cat >"$ROOTFS/etc/systemd/system/hello-http.service" <<'UNIT'
[Unit]
Description=hello over HTTP
[Service]
ExecStart=/bin/busybox httpd -f -p 127.0.0.1:18089 -h /srv/www
Restart=on-failure
[Install]
WantedBy=multi-user.target
UNIT
cat >"$ROOTFS/etc/systemd/system/broken.service" <<'UNIT'
[Unit]
Description=a unit that fails on start
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "broken: cannot open /etc/broken.conf" >&2; exit 3'
UNIT
ln -sf /etc/systemd/system/hello-http.service "$ROOTFS/etc/systemd/system/multi-user.target.wants/hello-http.service"
# No getty on a container console.
rm -f "$ROOTFS/etc/systemd/system/getty.target.wants/"* 2>/dev/null || true

step "dockerd (vfs, no bridge)"
SOCK=$WORK/docker.sock
NS=opsbot-sysd-$$
dockerd --host "unix://$SOCK" --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
  --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/docker.pid" \
  --containerd-namespace "$NS" --containerd-plugins-namespace "$NS-plugins" --log-level warn >"$WORK/dockerd.log" 2>&1 &
DPID=$!
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: DOCKER_HOST=unix://$SOCK, dockerd pid $DPID"; return; fi
  docker -H "unix://$SOCK" rm -f sysd >/dev/null 2>&1 || true
  kill "$DPID" 2>/dev/null || true
  wait "$DPID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do docker -H "unix://$SOCK" version >/dev/null 2>&1 && break; sleep 0.3; done
D() { docker -H "unix://$SOCK" "$@"; }

step "docker import"
tar -C "$ROOTFS" -c . | D import - opsbot-systemd:test >/dev/null

step "docker run /sbin/init (all caps but SYS_RESOURCE, cgroupns=host, tmpfs /run /run/lock, /sys/fs/cgroup rw)"
# This VM's capability bounding set lacks CAP_SYS_RESOURCE (CapBnd 000001fffeffffff), and
# --privileged asks for every capability: runc fails with "unable to apply caps: operation not
# permitted", and --privileged ignores --cap-drop. So: every capability but that one, no
# seccomp/AppArmor profile, and the host's cgroup tree bound read-write.
D run -d --name sysd --network host --cap-add ALL --cap-drop SYS_RESOURCE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns=host \
  --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  -e container=docker --stop-signal SIGRTMIN+3 opsbot-systemd:test /sbin/init >/dev/null

step "waiting for systemd (systemctl is-system-running)"
state=""
for _ in $(seq 1 60); do
  state=$(D exec sysd systemctl is-system-running 2>&1 || true)
  case "$state" in running|degraded) break ;; esac
  if [ "$(D inspect -f '{{.State.Running}}' sysd 2>/dev/null)" != true ]; then break; fi
  sleep 1
done
step "system state: ${state:-none}"
if [ "$(D inspect -f '{{.State.Running}}' sysd 2>/dev/null)" != true ]; then
  echo "FAILED: the container exited. Its output:"; D logs sysd 2>&1 | tail -40; exit 1
fi
case "$state" in running|degraded) ;; *) echo "FAILED: systemd did not come up"; D logs sysd 2>&1 | tail -40; exit 1 ;; esac
step "hello-http: $(D exec sysd systemctl is-active hello-http || true)"
step "restart hello-http"; D exec sysd systemctl restart hello-http
step "HTTP: $(busybox wget -q -O - http://127.0.0.1:18089/ 2>&1 || true)"
step "start broken (expected to fail)"; D exec sysd systemctl start broken || true
D exec sysd journalctl -u broken --no-pager -n 5 || true
step "BOOTED"
