#!/bin/bash
# deb/rpm post-remove script (electron-builder "afterRemove"); the same macro rule as
# after-install.sh: only the executable and sanitizedProductName macros are substituted.
# It does what electron-builder's default does. The "tapline" group is left in place (it may
# own other files, and removing a group on upgrade would drop analysts' membership).

APP_DIR='/opt/${sanitizedProductName}'
EXE='${executable}'

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove "$EXE" "$APP_DIR/$EXE"
else
    rm -f "/usr/bin/$EXE"
fi

APPARMOR_PROFILE_DEST="/etc/apparmor.d/$EXE"
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
    if apparmor_status --enabled > /dev/null 2>&1; then
        if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
            apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
        fi
    fi
    rm -f "$APPARMOR_PROFILE_DEST"
fi
# The pkexec fallback's polkit action: only when the package goes away (deb: remove/purge; rpm:
# no version left), not on an upgrade, whose new after-install has written it already (rpm) or
# writes it next (deb). This script runs after the package's files are gone, so it removes the
# file itself.
case "$1" in
remove | purge | 0)
    rm -f /usr/share/polkit-1/actions/org.tapline.capture-worker.policy
    ;;
esac
exit 0
