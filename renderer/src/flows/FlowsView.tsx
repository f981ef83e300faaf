/** The main view: search, live status, the grid, the detail pane, and the row/cell menu. */
import { useCallback, useState } from 'react';
import { useFlows, useRanking, useServices } from '../app/services-context.js';
import { ContextMenu } from '../menu/ContextMenu.js';
import { buildFlowMenu, type MenuItem } from '../menu/flow-menu.js';
import { runMenuAction } from '../menu/run-menu-action.js';
import { PayloadPanel } from '../payload/PayloadPanel.js';
import { ClassifyDialog } from '../ranking/ClassifyDialog.js';
import { DetailPane } from './DetailPane.js';
import { FlowGrid, type MenuRequest } from './FlowGrid.js';
import { LiveBar } from './LiveBar.js';
import { SearchBar } from './SearchBar.js';

interface OpenMenu {
  x: number;
  y: number;
  items: MenuItem[];
  label: string;
}

export function FlowsView({ active }: { active: boolean }) {
  const services = useServices();
  const detailOpen = useFlows((s) => s.detailOpen);
  const classify = useRanking((s) => s.classify);
  const [menu, setMenu] = useState<OpenMenu | null>(null);

  const openMenu = useCallback(
    (req: MenuRequest) => {
      const row = services.flows.getState().rows.row(req.slot);
      if (!row) return;
      const items = buildFlowMenu(row, req.column, (t) => services.bridge.pcapUrl(t));
      setMenu({ x: req.x, y: req.y, items, label: `Actions for flow ${row.id}` });
    },
    [services],
  );

  const closeMenu = useCallback(() => {
    setMenu(null);
    document.querySelector<HTMLElement>('.grid')?.focus({ preventScroll: true });
  }, []);

  const pick = useCallback(
    (item: MenuItem) => {
      closeMenu();
      void runMenuAction(services, item.action);
    },
    [services, closeMenu],
  );

  return (
    <div className="flows-view">
      <SearchBar />
      <LiveBar />
      <div className={`flows-body${detailOpen ? ' with-detail' : ''}`}>
        <FlowGrid onMenu={openMenu} />
        {detailOpen ? <DetailPane /> : null}
      </div>
      {menu && active ? <ContextMenu x={menu.x} y={menu.y} items={menu.items} label={menu.label} onPick={pick} onClose={closeMenu} /> : null}
      {classify && active ? <ClassifyDialog key={`${classify.field}:${classify.value}`} target={classify} /> : null}
      {active ? <PayloadPanel /> : null}
    </div>
  );
}
