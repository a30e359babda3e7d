#!/bin/sh
# Post-build check (runs on the machine that runs Packer, with gcloud): the image GCE made must carry
# TDX_CAPABLE (inherited from the source image: packer 1.6.6 cannot set guest OS features) and UEFI;
# prints the numeric image id, which expected.json records next to the measurement.
set -eu
: "${PROJECT_ID:?}" "${IMAGE_NAME:?}"
features=$(gcloud compute images describe "$IMAGE_NAME" --project "$PROJECT_ID" --format='value(guestOsFeatures[].type)')
for feature in TDX_CAPABLE UEFI_COMPATIBLE GVNIC; do
  case ";$(echo "$features" | tr ',; ' ';;;');" in
    *";$feature;"*) ;;
    *) echo "image $IMAGE_NAME lacks guest OS feature $feature (has: $features)" >&2; exit 1 ;;
  esac
done
gcloud compute images describe "$IMAGE_NAME" --project "$PROJECT_ID" --format='value(id,selfLink,archiveSizeBytes)'
