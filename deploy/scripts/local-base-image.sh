#!/usr/bin/env bash
# Build a local stand-in for the `python:3.11-slim` base image where no registry can be reached:
# Debian bookworm by debootstrap from this machine's own Debian package source, with Python 3.11
# in a virtual environment first on PATH (so `pip`, `python` and console scripts work as in the
# official image). Usage: deploy/scripts/local-base-image.sh [TAG]   (default elo-base:bookworm)
# Needs root, debootstrap and a running Docker engine. Prints the tag it built.
set -euo pipefail
tag="${1:-elo-base:bookworm}"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

# The mirror this machine's apt uses (no host name is written into the repository).
mirror="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null \
  | awk '$2 == "bookworm" {print $1; exit}')"
if [ -z "$mirror" ]; then
  echo "local-base-image: no bookworm package source in the apt configuration" >&2
  exit 1
fi

rootfs="$(mktemp -d /tmp/elo-rootfs.XXXXXX)"
chmod 755 "$rootfs"  # it becomes the image's /, which every user must be able to enter
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,libpq5 \
  bookworm "$rootfs" "$mirror" >&2
# This machine's trust store (it may hold a local CA that package downloads go through).
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
chroot "$rootfs" python3 -m venv /opt/python >&2
chroot "$rootfs" env PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
  /opt/python/bin/pip install --quiet --upgrade pip >&2
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["python3"]' - "$tag" >&2
echo "$tag"
