/**
 * Where a live `capture` event goes: every one to the sensor window; to the Capture panel only
 * the captures of this instance's own store. Remote sensors' capture events are relayed by the
 * services under the remote's id, and each sensor numbers its captures itself, so a remote's
 * cap-1 must not overwrite this store's cap-1 in the panel.
 */
import type { BackendInfo, CaptureStatusEvent } from '../../../common/bridge/messages.js';

/** This instance's own sensor id (the sensor without a URL), or undefined before info() answered. */
export function localSensorId(info: BackendInfo | null): string | undefined {
  return info?.sensors.find((s) => s.url === null)?.id;
}

/** Whether the Capture panel (this store's captures) takes the event; before info() answered, it does. */
export function forCapturePanel(e: CaptureStatusEvent, info: BackendInfo | null): boolean {
  const own = localSensorId(info);
  return own === undefined || e.sensor === own;
}
