/**
 * The main-process side of the IPC bridge without Electron: who may call (sender check), what
 * they may send (zod, ipc-contract.ts), what runs (the in-process TaplineServices), what comes
 * back (an envelope), and the live event subscriptions per renderer. ipc.ts wires it to ipcMain;
 * tests drive it directly with a real store.
 */
import { copyFile, rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { EventBatch } from '../../../common/bridge/messages.js';
import { ServiceError } from '../../services/sensor-backend.js';
import type { TaplineServices } from '../../services/tapline-services.js';
import { IPC_CHANNELS, IpcArgumentError, PUSH_CHANNELS, parseIpcArgs, type IpcCall, type IpcFailure, type IpcReply, type IpcResult } from './ipc-contract.js';
import { isTrustedSenderUrl } from './navigation-policy.js';

/** What the dispatcher needs to know about who sent a message. */
export interface SenderInfo {
  /** webContents id, to route pushes and clean up subscriptions. */
  contentsId: number;
  /** event.senderFrame?.url (null when the frame is gone). */
  frameUrl: string | null;
  /** The sender is the top frame of its page (not an iframe). */
  isMainFrame: boolean;
  /** The sender's webContents is our app window's. */
  isAppWindow: boolean;
}

export type ServicesFacade = Pick<
  TaplineServices,
  | 'info'
  | 'searchFlows'
  | 'searchEvents'
  | 'stats'
  | 'importPaths'
  | 'slice'
  | 'followFlow'
  | 'flowFiles'
  | 'bus'
  | 'sensors'
  | 'addRemoteSensor'
  | 'removeRemoteSensor'
  | 'listClasses'
  | 'createClass'
  | 'updateClass'
  | 'deleteClass'
  | 'listThreatLists'
  | 'createThreatList'
  | 'updateThreatList'
  | 'deleteThreatList'
  | 'capture'
  | 'listInterfaces'
  | 'startCapture'
  | 'stopCapture'
  | 'captureStatus'
  | 'captureGaps'
>;

export interface DispatchBackend {
  /** The current services (the store can be switched from the menu). */
  services(): ServicesFacade;
  /** The local API's base URL, if the desktop runs one. */
  apiBase(): string | null;
  /** Asks the user where to save a slice (a save dialog); null when cancelled. */
  chooseSavePath(suggestedName: string, format: 'pcap' | 'pcapng'): Promise<string | null>;
  /** Sends a push message to one renderer; false when it is gone. */
  push(contentsId: number, channel: string, ...args: unknown[]): boolean;
  log?(line: string): void;
}

const CALL_BY_CHANNEL = new Map<string, IpcCall>(Object.entries(IPC_CHANNELS).map(([call, channel]) => [channel, call as IpcCall]));

export function callForChannel(channel: string): IpcCall | null {
  return CALL_BY_CHANNEL.get(channel) ?? null;
}

function failure(error: string, status: number | null, hint: string | null = null): IpcFailure {
  return { ok: false, error, hint, status };
}

export class IpcDispatcher {
  private nextSubscription = 1;
  /** contentsId → subscription id → unsubscribe */
  private readonly subs = new Map<number, Map<number, () => void>>();

  constructor(private readonly backend: DispatchBackend) {}

  /** Handles one invoke: never throws, always an envelope. */
  async handle(channel: string, sender: SenderInfo, rawArgs: readonly unknown[]): Promise<IpcReply> {
    const call = callForChannel(channel);
    if (call === null) return failure(`unknown bridge channel ${channel}`, 404);
    if (!sender.isAppWindow || !sender.isMainFrame || !isTrustedSenderUrl(sender.frameUrl)) {
      this.backend.log?.(`refused ${call} from an untrusted sender (${sender.frameUrl ?? 'no frame'})`);
      return failure(`${call} refused: the request did not come from the Tapline page`, 403);
    }
    try {
      const value = await this.run(call, sender, rawArgs);
      return { ok: true, value };
    } catch (e) {
      if (e instanceof IpcArgumentError) return failure(e.message, 400, 'this is a bug in the page that made the call');
      if (e instanceof ServiceError) return failure(e.message, e.status, e.hint);
      this.backend.log?.(`${call} failed: ${(e as Error).stack ?? String(e)}`);
      return failure(`${call} failed: ${(e as Error).message}`, 500);
    }
  }

  private async run(call: IpcCall, sender: SenderInfo, rawArgs: readonly unknown[]): Promise<IpcResult<IpcCall>> {
    const services = this.backend.services();
    switch (call) {
      case 'info':
        parseIpcArgs('info', rawArgs);
        return services.info(this.backend.apiBase());
      case 'searchFlows':
        return services.searchFlows(parseIpcArgs('searchFlows', rawArgs)[0]);
      case 'searchEvents':
        return services.searchEvents(parseIpcArgs('searchEvents', rawArgs)[0]);
      case 'stats':
        parseIpcArgs('stats', rawArgs);
        return services.stats();
      case 'importCaptures': {
        const [paths] = parseIpcArgs('importCaptures', rawArgs);
        // the schema accepts both path styles; this platform's rule decides
        const bad = paths.find((p) => !isAbsolute(p));
        if (bad !== undefined) throw new IpcArgumentError(`invalid arguments for importCaptures: ${JSON.stringify(bad.slice(0, 80))} is not an absolute path here`);
        return services.importPaths(paths);
      }
      case 'downloadPcap':
        return this.download(services, parseIpcArgs('downloadPcap', rawArgs)[0]);
      case 'followStream': {
        const [id, o] = parseIpcArgs('followStream', rawArgs);
        return services.followFlow(id, o.maxBytes, o.sensor);
      }
      case 'flowFiles': {
        const [id, o] = parseIpcArgs('flowFiles', rawArgs);
        return services.flowFiles(id, o.sensor);
      }
      case 'subscribe': {
        const [opts] = parseIpcArgs('subscribe', rawArgs);
        return this.subscribe(services, sender.contentsId, opts.since);
      }
      case 'unsubscribe': {
        const [id] = parseIpcArgs('unsubscribe', rawArgs);
        return this.unsubscribe(sender.contentsId, id);
      }
      case 'listSensors':
        parseIpcArgs('listSensors', rawArgs);
        return services.sensors();
      case 'addSensor':
        return services.addRemoteSensor(parseIpcArgs('addSensor', rawArgs)[0]);
      case 'removeSensor':
        await services.removeRemoteSensor(parseIpcArgs('removeSensor', rawArgs)[0]);
        return null;
      case 'listClasses':
        parseIpcArgs('listClasses', rawArgs);
        return services.listClasses();
      case 'createClass':
        return services.createClass(parseIpcArgs('createClass', rawArgs)[0]);
      case 'updateClass': {
        const [id, c] = parseIpcArgs('updateClass', rawArgs);
        return services.updateClass(id, c);
      }
      case 'deleteClass':
        await services.deleteClass(parseIpcArgs('deleteClass', rawArgs)[0]);
        return null;
      case 'listThreatLists':
        parseIpcArgs('listThreatLists', rawArgs);
        return services.listThreatLists();
      case 'createThreatList':
        return services.createThreatList(parseIpcArgs('createThreatList', rawArgs)[0]);
      case 'updateThreatList': {
        const [id, l] = parseIpcArgs('updateThreatList', rawArgs);
        return services.updateThreatList(id, l);
      }
      case 'listInterfaces':
        return services.listInterfaces(parseIpcArgs('listInterfaces', rawArgs)[0]);
      case 'startCapture':
        return services.startCapture(parseIpcArgs('startCapture', rawArgs)[0]);
      case 'stopCapture': {
        const [id, target] = parseIpcArgs('stopCapture', rawArgs);
        return services.stopCapture(id, target);
      }
      case 'captureStatus':
        return services.captureStatus(parseIpcArgs('captureStatus', rawArgs)[0]);
      case 'captureGaps':
        return services.captureGaps(parseIpcArgs('captureGaps', rawArgs)[0]);
      case 'deleteThreatList':
        await services.deleteThreatList(parseIpcArgs('deleteThreatList', rawArgs)[0]);
        return null;
    }
  }

  /** Slices into the store's tmp folder, asks where to save, copies, always removes the temp file. */
  private async download(services: ServicesFacade, target: Parameters<ServicesFacade['slice']>[0]): Promise<{ saved: string | null }> {
    const slice = await services.slice(target);
    try {
      const dest = await this.backend.chooseSavePath(slice.filename, slice.contentType === 'application/x-pcapng' ? 'pcapng' : 'pcap');
      if (dest === null) return { saved: null };
      await copyFile(slice.path, dest);
      return { saved: dest };
    } finally {
      await rm(slice.path, { force: true });
    }
  }

  private subscribe(services: ServicesFacade, contentsId: number, since: number | undefined): number {
    const id = this.nextSubscription++;
    const deliver = (batch: EventBatch): void => {
      if (!this.backend.push(contentsId, PUSH_CHANNELS.events, id, batch)) this.dropSubscriptions(contentsId);
    };
    const unsubscribe = services.bus.subscribe(deliver, since);
    let mine = this.subs.get(contentsId);
    if (!mine) this.subs.set(contentsId, (mine = new Map()));
    mine.set(id, unsubscribe);
    return id;
  }

  private unsubscribe(contentsId: number, id: number): boolean {
    const mine = this.subs.get(contentsId);
    const u = mine?.get(id);
    if (!mine || !u) return false;
    u();
    mine.delete(id);
    return true;
  }

  /** A renderer reloaded, navigated or closed: its subscriptions end. */
  dropSubscriptions(contentsId: number): void {
    const mine = this.subs.get(contentsId);
    if (!mine) return;
    for (const u of mine.values()) u();
    this.subs.delete(contentsId);
  }

  /** The store was switched: every subscription belonged to the old event bus. */
  dropAll(): void {
    for (const id of [...this.subs.keys()]) this.dropSubscriptions(id);
  }

  subscriptionCount(contentsId?: number): number {
    if (contentsId !== undefined) return this.subs.get(contentsId)?.size ?? 0;
    let n = 0;
    for (const m of this.subs.values()) n += m.size;
    return n;
  }
}
