#!/bin/sh
# Build step (runs as root on the Packer build VM): point apt at one dated Ubuntu snapshot and install the
# exact package versions the template pins. The snapshot fixes every dependency too; apt checks the
# snapshot's signed InRelease, so each .deb is verified against Ubuntu's archive key.
set -eu
: "${APT_SNAPSHOT:?}" "${PODMAN_VERSION:?}" "${NFTABLES_VERSION:?}" "${FUSE3_VERSION:?}"
case "$APT_SNAPSHOT" in
  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
  *) echo "APT_SNAPSHOT must look like 20251205T000000Z" >&2; exit 1 ;;
esac
export DEBIAN_FRONTEND=noninteractive

# Replace the image's mirror list with the snapshot only (no moving "-updates" pocket behind our back).
rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
: > /etc/apt/sources.list
cat > /etc/apt/sources.list.d/cce4long-snapshot.sources <<SOURCES
Types: deb
URIs: https://snapshot.ubuntu.com/ubuntu/${APT_SNAPSHOT}
Suites: noble noble-updates noble-security
Components: main universe
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
SOURCES

apt-get update
# No unattended upgrades in a measured, single-use VM: the image is replaced, never patched in place.
apt-get purge -y unattended-upgrades || true
apt-get install -y --no-install-recommends \
  "podman=${PODMAN_VERSION}" \
  "nftables=${NFTABLES_VERSION}" \
  "fuse3=${FUSE3_VERSION}"
apt-mark hold podman nftables fuse3
dpkg-query -W -f '${Package}=${Version}\n' podman nftables fuse3
