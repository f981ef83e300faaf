/**
 * The browser globals that code run inside the page (page.evaluate, waitForFunction, init
 * scripts) uses. The tests' TypeScript has Node types, not DOM types: in-page callbacks reach
 * the page through `globalThis as unknown as PageGlobals` (a type only, erased at run time).
 */
export interface PageElement {
  getAttribute(name: string): string | null;
  scrollTop: number;
  textContent: string | null;
}

export interface PageGlobals {
  document: {
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): { length: number };
    documentElement: { dataset: Record<string, string | undefined> };
  };
  requestAnimationFrame(cb: (now: number) => void): number;
  dispatchEvent(event: unknown): boolean;
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: Uint8Array[], name: string) => unknown;
  DragEvent: new (type: string, init: { dataTransfer: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
  taplineBridge?: unknown;
  __scale?: { delivered: number; done: boolean; startedAt: number; finishedAt: number };
}
