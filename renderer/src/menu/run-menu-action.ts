/** Carries out a context-menu action and tells the analyst how it went. */
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { Services } from '../app/services.js';
import { copyText } from './clipboard.js';
import { startClassify } from '../ranking/ranking-store.js';
import type { MenuAction } from './flow-menu.js';

export async function runMenuAction(s: Services, action: MenuAction): Promise<void> {
  const notify = s.app.getState().notify;
  switch (action.kind) {
    case 'download':
      try {
        const r = await s.bridge.downloadPcap(action.target);
        if (r.saved) notify({ level: 'success', text: `Downloading ${r.saved}` });
        else notify({ level: 'info', text: 'Download cancelled' });
      } catch (e) {
        const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error).message ?? e));
        if (err.status === 401) s.app.getState().setLoggedOut(true);
        notify({ level: 'error', text: `Could not download the pcap: ${err.message}`, hint: err.hint });
      }
      return;
    case 'follow':
    case 'files': {
      // the panel (payload/PayloadPanel.tsx) shows loading, the result or the error
      const p = s.payload.getState();
      const target = { flow: action.flow, sensor: action.sensor, label: action.label };
      await (action.kind === 'follow' ? p.openFollow(target) : p.openFiles(target));
      const panel = s.payload.getState().panel;
      if (panel?.error?.status === 401) s.app.getState().setLoggedOut(true);
      return;
    }
    case 'copy':
      try {
        await copyText(action.text);
        notify({ level: 'success', text: `Copied ${action.what}: ${action.text.length > 90 ? `${action.text.slice(0, 90)}…` : action.text}` });
      } catch (e) {
        notify({ level: 'error', text: `Could not copy the ${action.what}: ${(e as Error).message}`, hint: 'Select the text in the detail pane and copy it by hand.' });
      }
      return;
    case 'filter': {
      const flows = s.flows.getState();
      if (action.exclude) {
        flows.exclude({ field: action.field, value: action.value });
        return;
      }
      const problem = await flows.filterBy(action.field, action.value);
      if (problem) notify({ level: 'warning', text: problem });
      return;
    }
    case 'search-ip':
      s.app.getState().setView('flows');
      await s.flows.getState().searchIp(action.ip);
      return;
    case 'files-page':
      s.app.getState().setView('files');
      await s.files.getState().open(action.query);
      return;
    case 'history':
      s.app.getState().setView('historical');
      await s.historical.getState().pivot(action.fields);
      return;
    case 'classify':
      // the dialog (ranking/ClassifyDialog.tsx) does the rest
      await startClassify(s.ranking, { field: action.field, value: action.value });
      return;
  }
}
