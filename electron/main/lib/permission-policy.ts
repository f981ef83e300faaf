/**
 * Which web permissions the app's page gets: none, except writing plain text to the clipboard
 * ("Copy as CapMe URL", copy a flow id) from our own origin. Camera, microphone, geolocation,
 * notifications, MIDI, HID/serial/USB, screen capture, pointer lock, fullscreen requests from the
 * page, clipboard *read*, storage access, … are all refused, and so is everything for any other
 * origin. Environment-free; applied in security.ts to setPermissionRequestHandler and
 * setPermissionCheckHandler.
 */
import { isAppUrl } from './navigation-policy.js';

/** The only permissions ever granted, and only to the app origin. */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function permissionDecision(permission: string, requestingUrl: string | null | undefined): boolean {
  return GRANTED_PERMISSIONS.has(permission) && typeof requestingUrl === 'string' && isAppUrl(requestingUrl);
}
