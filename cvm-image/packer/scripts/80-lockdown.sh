#!/bin/sh
# Build step (runs as root on the Packer build VM): remove every way in that instance metadata or a login
# could open in a job VM: guest agent (metadata SSH keys, OS Login, startup scripts), cloud-init (user-data),
# serial getty, swap (plaintext must not reach a disk), core dumps. Skipped in a debug build.
set -eu
if [ "${CCE4LONG_DEBUG:-false}" = "true" ]; then
  echo "DEBUG BUILD: guest agent, cloud-init and logins kept; never allow this image on-chain" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive

for package in google-guest-agent google-compute-engine-oslogin google-compute-engine gce-compute-image-packages; do
  if dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    apt-get purge -y "$package"
  fi
done
if command -v google_guest_agent >/dev/null 2>&1; then
  echo "google_guest_agent is still installed" >&2
  exit 1
fi
touch /etc/cloud/cloud-init.disabled
systemctl mask serial-getty@ttyS0.service getty@tty1.service
systemctl mask ssh.socket || true

# No swap, no core dumps: the decrypted view lives in memory only.
swapoff -a
sed -i '/\sswap\s/d' /etc/fstab
install -d -m 0755 /etc/systemd/coredump.conf.d
printf '[Coredump]\nStorage=none\nProcessSizeMax=0\n' > /etc/systemd/coredump.conf.d/cce4long.conf
printf 'kernel.core_pattern=|/bin/false\nkernel.kptr_restrict=2\nkernel.dmesg_restrict=1\n' > /etc/sysctl.d/90-cce4long.conf

# Lock every password; no interactive account remains usable.
for user in $(awk -F: '$3 >= 1000 && $3 < 65534 {print $1}' /etc/passwd); do
  passwd -l "$user"
  usermod -s /usr/sbin/nologin "$user"
done
passwd -l root
