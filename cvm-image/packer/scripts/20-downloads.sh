#!/bin/sh
# Build step (runs as root on the Packer build VM): fetch the one pinned binary the image needs outside
# apt (Node 22 for the boot agent), refused unless its sha256 matches the template. Every download in the
# build goes through fetch_verified. (No JuiceFS: the boot agent reads the dataset's objects itself, with
# ranged GETs on presigned URLs.)
set -eu
: "${BUILD_DIR:?}" "${NODE_URL:?}" "${NODE_SHA256:?}" "${NODE_VERSION:?}"

fetch_verified() { # URL SHA256 DEST
  curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --retry 3 -o "$3" "$1"
  echo "$2  $3" | sha256sum -c -
}

fetch_verified "$NODE_URL" "$NODE_SHA256" "$BUILD_DIR/node.tgz"
install -d -m 0755 /opt/cce4long/node
tar -xzf "$BUILD_DIR/node.tgz" -C /opt/cce4long/node --strip-components=1 --no-same-owner
test "$(/opt/cce4long/node/bin/node --version)" = "v${NODE_VERSION}"
