/**
 * The Historical view's charts (recharts): events and bytes over time with a brush that sets the
 * search's time range, and the top talkers, ports and signatures. Every bar is a right-click
 * pivot (search by it); a time bucket pivots to its interval.
 */
import { useRef, type MouseEvent } from 'react';
import { Bar, BarChart, Brush, CartesianGrid, ComposedChart, Line, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { gapBucketSpans } from '../capture-gaps/gap-spans.js';
import { useCaptureGaps } from '../capture-gaps/use-capture-gaps.js';
import { useHistorical, useSettings } from '../app/services-context.js';
import type { TopEntry } from '../archive/chart-data.js';
import { formatBytes } from '../format/numbers.js';
import { formatGridTime } from '../format/time.js';

export type Pivot = { kind: 'ip'; value: string } | { kind: 'port'; value: number } | { kind: 'signature'; sid: number | null; text: string } | { kind: 'range'; since: number; until: number };

/** What a top-list entry pivots to. */
export function pivotOf(list: 'talkers' | 'ports' | 'signatures', e: TopEntry): Pivot {
  if (list === 'talkers') return { kind: 'ip', value: e.key };
  if (list === 'ports') return { kind: 'port', value: Number(e.key) };
  const m = /^(\d+) (.*)$/.exec(e.key);
  return m ? { kind: 'signature', sid: Number(m[1]), text: m[2] } : { kind: 'signature', sid: null, text: e.key.replace(/^[^:]*: /, '') };
}

function TopChart({ title, list, entries, onPivot }: { title: string; list: 'talkers' | 'ports' | 'signatures'; entries: TopEntry[]; onPivot(p: Pivot, x: number, y: number): void }) {
  const hovered = useRef<number | null>(null);
  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    const i = hovered.current;
    if (i === null || !entries[i]) return;
    e.preventDefault();
    onPivot(pivotOf(list, entries[i]), e.clientX, e.clientY);
  };
  return (
    <figure className="chart chart-top" data-chart={list} onContextMenu={onContextMenu}>
      <figcaption>{title}</figcaption>
      {entries.length === 0 ? (
        <div className="muted chart-empty">None in these results</div>
      ) : (
        <ResponsiveContainer width="100%" height={Math.max(120, entries.length * 22 + 20)}>
          <BarChart data={entries} layout="vertical" margin={{ left: 8, right: 16, top: 4, bottom: 4 }}>
            <XAxis type="number" hide />
            <YAxis type="category" dataKey="key" width={150} tick={{ fontSize: 11 }} interval={0} tickFormatter={(v: string) => (v.length > 24 ? `${v.slice(0, 23)}…` : v)} />
            <Tooltip formatter={(v) => [String(v), 'events']} isAnimationActive={false} />
            <Bar
              dataKey="count"
              fill="var(--chart-bar, #4a7bd0)"
              isAnimationActive={false}
              onMouseEnter={(_d, i) => {
                hovered.current = i;
              }}
              onMouseLeave={() => {
                hovered.current = null;
              }}
            />
          </BarChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

export function HistoryCharts({ onPivot }: { onPivot(p: Pivot, x: number, y: number): void }) {
  const chart = useHistorical((s) => s.chart);
  const capped = useHistorical((s) => s.chartCapped);
  const setRange = useHistorical((s) => s.setRange);
  const zone = useSettings((s) => s.timeZone);
  const hovered = useRef<number | null>(null);
  // capture gaps shade the time chart: "not captured" is not "quiet"
  const gaps = useCaptureGaps(chart);
  if (!chart || chart.buckets.length === 0) return null;
  const { buckets, bucketSeconds } = chart;
  const gapSpans = gapBucketSpans(
    gaps,
    buckets.map((b) => b.t),
    bucketSeconds,
  );
  const onTimeMenu = (e: MouseEvent<HTMLDivElement>) => {
    const i = hovered.current;
    if (i === null || !buckets[i]) return;
    e.preventDefault();
    onPivot({ kind: 'range', since: buckets[i].t, until: buckets[i].t + bucketSeconds }, e.clientX, e.clientY);
  };
  return (
    <div className="charts">
      <figure className="chart chart-time" data-chart="time" onContextMenu={onTimeMenu}>
        <figcaption>
          Events and bytes over time ({bucketSeconds >= 3600 ? `${bucketSeconds / 3600} h` : bucketSeconds >= 60 ? `${bucketSeconds / 60} min` : `${bucketSeconds} s`} buckets
          {capped ? '; first 100,000 matches' : ''}) — drag the brush to set the time range
          {gapSpans.length ? <span data-field="chart-gaps">; shaded: {gapSpans.length === 1 ? '1 capture gap' : `${gapSpans.length} capture gaps`} (nothing was captured)</span> : null}
        </figcaption>
        <ResponsiveContainer width="100%" height={190}>
          <ComposedChart
            data={buckets}
            margin={{ left: 8, right: 16, top: 6, bottom: 0 }}
            onMouseMove={(st) => {
              hovered.current = typeof st.activeTooltipIndex === 'number' ? st.activeTooltipIndex : st.activeTooltipIndex != null ? Number(st.activeTooltipIndex) : null;
            }}
            onMouseLeave={() => {
              hovered.current = null;
            }}
          >
            <CartesianGrid strokeDasharray="3 3" opacity={0.3} />
            <XAxis dataKey="t" tick={{ fontSize: 11 }} tickFormatter={(t: number) => formatGridTime(t, zone)} minTickGap={40} />
            <YAxis yAxisId="n" tick={{ fontSize: 11 }} allowDecimals={false} width={48} />
            <YAxis yAxisId="b" orientation="right" tick={{ fontSize: 11 }} tickFormatter={(b: number) => formatBytes(b)} width={64} />
            <Tooltip labelFormatter={(t) => formatGridTime(Number(t), zone)} formatter={(v, name) => (name === 'bytes' ? [formatBytes(Number(v)), 'bytes'] : [String(v), 'events'])} isAnimationActive={false} />
            <Bar yAxisId="n" dataKey="events" fill="var(--chart-bar, #4a7bd0)" isAnimationActive={false} />
            <Line yAxisId="b" dataKey="bytes" stroke="var(--chart-line, #d08a2e)" dot={false} isAnimationActive={false} />
            {gapSpans.map((s) => (
              <ReferenceArea key={`gap-${s.gap.from}`} yAxisId="n" x1={s.x1} x2={s.x2} className="chart-gap" fill="var(--chart-gap, #c0392b)" fillOpacity={0.18} ifOverflow="hidden" label={{ value: 'capture gap', position: 'insideTop', fontSize: 10 }} />
            ))}
            {buckets.length > 2 ? (
              <Brush
                dataKey="t"
                height={22}
                tickFormatter={(t: number) => formatGridTime(t, zone)}
                onDragEnd={(r) => {
                  const a = buckets[r.startIndex ?? 0];
                  const b = buckets[r.endIndex ?? buckets.length - 1];
                  if (a && b && (r.startIndex !== 0 || r.endIndex !== buckets.length - 1)) void setRange(a.t, b.t + bucketSeconds);
                }}
              />
            ) : null}
          </ComposedChart>
        </ResponsiveContainer>
      </figure>
      <div className="charts-row">
        <TopChart title="Top talkers" list="talkers" entries={chart.talkers} onPivot={onPivot} />
        <TopChart title="Top ports" list="ports" entries={chart.ports} onPivot={onPivot} />
        <TopChart title="Top signatures and messages" list="signatures" entries={chart.signatures} onPivot={onPivot} />
      </div>
    </div>
  );
}
