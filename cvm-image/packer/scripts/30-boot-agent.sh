#!/bin/sh
# Build step (runs as root on the Packer build VM): install the boot agent bundle (checked again by sha256
# on this side of the upload) and its systemd unit, enabled so it starts on every boot of a job VM.
set -eu
: "${BUILD_DIR:?}" "${BOOT_AGENT_BUNDLE_SHA256:?}" "${BUILD_COMMIT:?}"

echo "${BOOT_AGENT_BUNDLE_SHA256}  ${BUILD_DIR}/cce4long-boot-agent.tar.gz" | sha256sum -c -
install -d -m 0755 /opt/cce4long/boot-agent
tar -xzf "${BUILD_DIR}/cce4long-boot-agent.tar.gz" -C /opt/cce4long/boot-agent --no-same-owner
test -f /opt/cce4long/boot-agent/main.js
chown -R root:root /opt/cce4long
chmod -R go-w /opt/cce4long

# What this image is, readable by the agent and by anyone inspecting a disk.
cat > /opt/cce4long/image-info <<INFO
build_commit=${BUILD_COMMIT}
boot_agent_bundle_sha256=${BOOT_AGENT_BUNDLE_SHA256}
INFO

install -m 0644 "${BUILD_DIR}/cce4long-boot-agent.service" /etc/systemd/system/cce4long-boot-agent.service
systemd-analyze verify /etc/systemd/system/cce4long-boot-agent.service
systemctl enable cce4long-boot-agent.service
