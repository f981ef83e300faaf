#!/bin/sh
# Installs (or removes) the polkit action of Tapline's pkexec fallback, with the installed
# worker's path in it, so that pkexec's password prompt says what runs and why.
#   install-polkit-policy.sh install WORKER      run as root by the deb/rpm after-install script
#   install-polkit-policy.sh remove              run by the after-remove script
# POLKIT_ACTIONS_DIR overrides /usr/share/polkit-1/actions (tests). Exits 0 when polkit is not
# installed: the capabilities route does not need it.
set -u
ACTIONS="${POLKIT_ACTIONS_DIR:-/usr/share/polkit-1/actions}"
POLICY="$ACTIONS/org.tapline.capture-worker.policy"
HERE="$(dirname "$0")"

case "${1:-}" in
install)
    WORKER="${2:?usage: install-polkit-policy.sh install WORKER}"
    case "$WORKER" in
    /*) ;;
    *) echo "Tapline: the worker path must be absolute: $WORKER" >&2; exit 1 ;;
    esac
    # the path goes into XML and a sed replacement: refuse characters either would read
    case "$WORKER" in
    *[\&\<\>\"\'\|\\]*) echo "Tapline: refusing a worker path with XML or sed metacharacters: $WORKER" >&2; exit 1 ;;
    esac
    if [ ! -d "$ACTIONS" ]; then
        echo "Tapline: polkit is not installed ($ACTIONS missing); the pkexec fallback is unavailable"
        exit 0
    fi
    sed "s|@WORKER@|$WORKER|" "$HERE/org.tapline.capture-worker.policy" > "$POLICY.tmp" &&
        chmod 0644 "$POLICY.tmp" && mv -f "$POLICY.tmp" "$POLICY" || { rm -f "$POLICY.tmp"; exit 1; }
    ;;
remove)
    rm -f "$POLICY"
    ;;
*)
    echo "usage: install-polkit-policy.sh install WORKER | remove" >&2
    exit 2
    ;;
esac
exit 0
