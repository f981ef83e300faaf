#!/bin/sh
# Gives the capture worker the two capabilities live capture needs, as Wireshark does for
# dumpcap: cap_net_raw (open packet sockets) and cap_net_admin (promiscuous mode, interface
# settings), on the worker executable only, runnable only by root and the "tapline" group.
#   grant-capture-capabilities.sh WORKER
# Run as root by the deb/rpm after-install script (shipped in resources/linux/). Exits 0 when
# the worker is absent (builds before the worker exists). Add analysts with:
#   sudo usermod -aG tapline USER   (then log in again)
set -u
WORKER="${1:?usage: grant-capture-capabilities.sh WORKER}"
GROUP="${TAPLINE_CAPTURE_GROUP:-tapline}"

if [ ! -e "$WORKER" ]; then
    echo "Tapline: no capture worker in this build ($WORKER); capabilities not needed"
    exit 0
fi
if [ ! -f "$WORKER" ] || [ -L "$WORKER" ]; then
    echo "Tapline: $WORKER is not a regular file; refusing to grant capabilities" >&2
    exit 1
fi
if ! command -v setcap >/dev/null 2>&1; then
    echo "Tapline: setcap not found (package libcap2-bin on Debian/Ubuntu, libcap on Fedora/RHEL); live capture will need root" >&2
    exit 1
fi
if ! getent group "$GROUP" >/dev/null 2>&1; then
    groupadd --system "$GROUP" || { echo "Tapline: could not create group $GROUP" >&2; exit 1; }
fi
chown "root:$GROUP" "$WORKER" || exit 1
chmod 0750 "$WORKER" || exit 1
if ! setcap cap_net_raw,cap_net_admin=eip "$WORKER"; then
    echo "Tapline: setcap failed on $WORKER (a filesystem without extended attributes?)" >&2
    exit 1
fi
echo "Tapline: capture worker may capture (members of group $GROUP)"
exit 0
