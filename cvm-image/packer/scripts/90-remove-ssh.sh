#!/bin/sh
# Last build step (runs as root on the Packer build VM): clean the build's traces and, in a production
# build, purge sshd. Purging ends Packer's own SSH session, so nothing may follow this script.
set -eu
: "${BUILD_DIR:?}"
export DEBIAN_FRONTEND=noninteractive

rm -rf "${BUILD_DIR}"
apt-get clean
rm -rf /var/lib/apt/lists/*
# Each VM must get its own machine-id and host keys (or none, without sshd).
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id /etc/ssh/ssh_host_*
find /var/log -type f -exec truncate -s 0 {} +

if [ "${CCE4LONG_DEBUG:-false}" = "true" ]; then
  echo "DEBUG BUILD: sshd kept" >&2
  exit 0
fi
rm -f /home/*/.ssh/authorized_keys /root/.ssh/authorized_keys
# Ubuntu's ssh.service has KillMode=process: stopping it leaves this session running, so the purge can
# run in the foreground; expect_disconnect in the template covers a session that drops anyway.
apt-get purge -y openssh-server openssh-sftp-server
if command -v sshd >/dev/null 2>&1; then
  echo "sshd is still installed" >&2
  exit 1
fi
sync
