#!/bin/bash
# deb/rpm post-install script (electron-builder "afterInstall"). electron-builder replaces the
# ${executable} and ${sanitizedProductName} macros when it packages this file; any other macro in
# dollar-brace form would be an error, so shell variables here are written without braces ($VAR).
# It does what electron-builder's default script does (a custom script replaces it), then gives
# the capture worker its capabilities (build/README.md).

APP_DIR='/opt/${sanitizedProductName}'
EXE='${executable}'

# --- electron-builder's default after-install ---
if type update-alternatives >/dev/null 2>&1; then
    if [ -L "/usr/bin/$EXE" -a -e "/usr/bin/$EXE" -a "$(readlink "/usr/bin/$EXE")" != "/etc/alternatives/$EXE" ]; then
        rm -f "/usr/bin/$EXE"
    fi
    update-alternatives --install "/usr/bin/$EXE" "$EXE" "$APP_DIR/$EXE" 100 || ln -sf "$APP_DIR/$EXE" "/usr/bin/$EXE"
else
    ln -sf "$APP_DIR/$EXE" "/usr/bin/$EXE"
fi

# Chromium's sandbox: SUID helper only where unprivileged user namespaces are unavailable
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    chmod 4755 "$APP_DIR/chrome-sandbox" || true
else
    chmod 0755 "$APP_DIR/chrome-sandbox" || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi
# registers the tapline:// handler (the .desktop file lists x-scheme-handler/tapline)
if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

# AppArmor profile (Ubuntu 24+), as electron-builder installs it
if apparmor_status --enabled > /dev/null 2>&1; then
    APPARMOR_PROFILE_SOURCE="$APP_DIR/resources/apparmor-profile"
    APPARMOR_PROFILE_TARGET="/etc/apparmor.d/$EXE"
    if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
        cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
        if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
            apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
        fi
    else
        echo "Skipping the AppArmor profile: this AppArmor does not support it"
    fi
fi

# --- Tapline: capabilities for the capture worker ---
# Only the capture worker (its own executable, never the Electron binary or a script
# interpreter) gets cap_net_raw,cap_net_admin, and only members of the "tapline" group may run
# it. A build without the worker (dist/capture-worker-bin/ not built) is fine: nothing to do.
GRANT="$APP_DIR/resources/linux/grant-capture-capabilities.sh"
WORKER="$APP_DIR/resources/capture-worker/tapline-capture-worker"
if [ -f "$GRANT" ]; then
    /bin/sh "$GRANT" "$WORKER" || echo "Tapline: live capture will need root (capabilities not set)"
fi
# The pkexec fallback's polkit action, naming this worker (build/linux/install-polkit-policy.sh).
POLKIT="$APP_DIR/resources/linux/install-polkit-policy.sh"
if [ -f "$POLKIT" ] && [ -f "$WORKER" ]; then
    /bin/sh "$POLKIT" install "$WORKER" || echo "Tapline: polkit action not installed; pkexec will show its generic prompt"
fi
exit 0
