#!/bin/sh
# Build step (runs as root on the Packer build VM): install the default-deny nftables ruleset (loaded at
# boot before the boot agent starts) and a netplan file that does not depend on cloud-init at boot.
set -eu
: "${BUILD_DIR:?}"

nft -c -f "${BUILD_DIR}/cce4long.nft"
install -m 0644 "${BUILD_DIR}/cce4long.nft" /etc/nftables.conf
systemctl enable nftables.service

# cloud-init is disabled in 80-lockdown.sh (metadata user-data must not run code), so the network
# configuration it would generate at each boot is written once here: DHCP on the gVNIC interface.
rm -f /etc/netplan/50-cloud-init.yaml
install -m 0600 "${BUILD_DIR}/10-cce4long-network.yaml" /etc/netplan/10-cce4long-network.yaml
netplan generate
