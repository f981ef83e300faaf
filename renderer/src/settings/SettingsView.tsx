/**
 * Preferences (time zone, theme: kept in this browser) and the back end's settings (sensors,
 * event classes, threat lists: kept in the store).
 */
import { useMemo } from 'react';
import { useSettings } from '../app/services-context.js';
import { LOCAL_ZONE, formatFullTime, listTimeZones, localZoneName } from '../format/time.js';
import { ClassesSection } from './ClassesSection.js';
import { SensorsSection } from './SensorsSection.js';
import type { Theme } from './settings-store.js';
import { ThreatListsSection } from './ThreatListsSection.js';

const THEMES: readonly { id: Theme; label: string }[] = [
  { id: 'dark', label: 'Dark' },
  { id: 'light', label: 'Light' },
];

export function SettingsView() {
  const timeZone = useSettings((s) => s.timeZone);
  const setTimeZone = useSettings((s) => s.setTimeZone);
  const theme = useSettings((s) => s.theme);
  const setTheme = useSettings((s) => s.setTheme);
  const zones = useMemo(listTimeZones, []);
  const now = Math.floor(Date.now() / 1000);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Settings</h1>
        <p className="muted">Time zone and theme are kept in this browser; sensors, classes and threat lists in the store.</p>
      </div>
      <section className="card settings-card" aria-labelledby="settings-time">
        <h2 id="settings-time">Time zone</h2>
        <div className="field">
          <label htmlFor="settings-zone">Show and read times in</label>
          <select id="settings-zone" value={timeZone} onChange={(e) => setTimeZone(e.currentTarget.value)} aria-describedby="settings-zone-help">
            <option value={LOCAL_ZONE}>Local time ({localZoneName()})</option>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </div>
        <p id="settings-zone-help" className="muted">
          Now: <span className="mono">{formatFullTime(now, 0, timeZone).replace('.000000000', '')}</span>. Search times typed without a zone are read in this zone.
        </p>
      </section>
      <section className="card settings-card" aria-labelledby="settings-theme">
        <h2 id="settings-theme">Theme</h2>
        <div className="segmented" role="radiogroup" aria-labelledby="settings-theme">
          {THEMES.map((t) => (
            <label key={t.id} className={`segment${theme === t.id ? ' is-on' : ''}`}>
              <input type="radio" name="theme" value={t.id} checked={theme === t.id} onChange={() => setTheme(t.id)} />
              <span>{t.label}</span>
            </label>
          ))}
        </div>
      </section>
      <SensorsSection />
      <ClassesSection />
      <ThreatListsSection />
    </div>
  );
}
