/** A timestamp as the detail panes show it: in the chosen zone, then UTC (when that differs) and the exact epoch value. */
import { splitTs } from '../flows/row-store.js';
import { formatFullTime } from '../format/time.js';

export function TimeValue({ ts, zone }: { ts: string; zone: string }) {
  const [sec, nsec] = splitTs(ts);
  const shown = formatFullTime(sec, nsec, zone);
  const utc = formatFullTime(sec, nsec, 'UTC');
  return (
    <>
      <div>{shown}</div>
      <div className="muted">
        {utc !== shown ? <div>{utc.replace(' +00:00', ' UTC')}</div> : null}
        <div>epoch {ts}</div>
      </div>
    </>
  );
}
