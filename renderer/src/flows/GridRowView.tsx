/** One row of the flows grid (absolutely positioned by the grid). */
import { memo } from 'react';
import { COLUMNS, rankClass } from './columns.js';
import type { GridRow } from './row-store.js';

export interface GridRowProps {
  row: GridRow;
  /** View index (0 = top), for aria-rowindex. */
  index: number;
  top: number;
  selected: boolean;
  /** The keyboard's active column, on the selected row. */
  activeColumn: number;
  zone: string;
  sensorName: (id: string) => string;
  /** Changes when the row's data may have changed (the store's version). */
  version: number;
}

export function cellId(slot: number, column: number): string {
  return `flow-cell-${slot}-${column}`;
}

function GridRowViewImpl({ row, index, top, selected, activeColumn, zone, sensorName }: GridRowProps) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-slot={row.slot}
      data-flow-id={row.id}
      className={`grid-row${selected ? ' is-selected' : ''}${index % 2 ? ' is-odd' : ''}`}
      style={{ top: `${top}px` }}
    >
      {COLUMNS.map((c, ci) => {
        const text = c.text(row, zone, sensorName);
        const active = selected && ci === activeColumn;
        return (
          <div
            key={c.id}
            // only the selected row's cells can be the grid's aria-activedescendant
            id={selected ? cellId(row.slot, ci) : undefined}
            role="gridcell"
            data-col={c.id}
            className={`cell col-${c.id}${c.numeric ? ' num' : ''}${c.mono ? ' mono' : ''}${active ? ' is-active' : ''}`}
            title={c.id === 'communityId' || c.id === 'server' || c.id === 'client' ? text : undefined}
          >
            {c.id === 'rank' ? <span className={`rank rank-${rankClass(row.rank)}`}>{text}</span> : text}
          </div>
        );
      })}
    </div>
  );
}

/**
 * Re-renders only when its row (by slot), position, selection, zone or the data version changed.
 * The row object itself is rebuilt from the row store on every grid render, so it is compared
 * by slot, not by identity; the version says when the slot's data may have changed.
 */
export function sameGridRow(a: GridRowProps, b: GridRowProps): boolean {
  return (
    a.row.slot === b.row.slot &&
    a.version === b.version &&
    a.index === b.index &&
    a.top === b.top &&
    a.selected === b.selected &&
    a.activeColumn === b.activeColumn &&
    a.zone === b.zone &&
    a.sensorName === b.sensorName
  );
}

export const GridRowView = memo(GridRowViewImpl, sameGridRow);
