/** What a key does in the flows grid (a pure function, so it is tested without a browser). */
export type GridKeyAction =
  | { kind: 'row'; index: number }
  | { kind: 'column'; index: number }
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'menu' };

export interface GridPosition {
  /** Selected view index, or -1. */
  row: number;
  rowCount: number;
  column: number;
  columnCount: number;
  /** Rows that fit in the viewport (PageUp/PageDown step). */
  pageRows: number;
}

export function gridKeyAction(key: string, shift: boolean, p: GridPosition): GridKeyAction | null {
  if (key === 'ContextMenu' || (key === 'F10' && shift)) return p.row >= 0 ? { kind: 'menu' } : null;
  if (key === 'Enter') return p.row >= 0 ? { kind: 'open' } : null;
  if (key === 'Escape') return { kind: 'close' };
  if (key === 'ArrowLeft') return { kind: 'column', index: Math.max(0, p.column - 1) };
  if (key === 'ArrowRight') return { kind: 'column', index: Math.min(p.columnCount - 1, p.column + 1) };
  if (p.rowCount === 0) return null;
  const last = p.rowCount - 1;
  const page = Math.max(1, p.pageRows - 1);
  const from = p.row;
  switch (key) {
    case 'ArrowDown':
      return { kind: 'row', index: from < 0 ? 0 : Math.min(last, from + 1) };
    case 'ArrowUp':
      return { kind: 'row', index: from < 0 ? 0 : Math.max(0, from - 1) };
    case 'PageDown':
      return { kind: 'row', index: Math.min(last, Math.max(0, from) + page) };
    case 'PageUp':
      return { kind: 'row', index: Math.max(0, from - page) };
    case 'Home':
      return { kind: 'row', index: 0 };
    case 'End':
      return { kind: 'row', index: last };
    default:
      return null;
  }
}
