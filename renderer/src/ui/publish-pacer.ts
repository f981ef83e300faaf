/**
 * When a store's data changed: one publication per animation frame at most, and, when minMs is
 * set, at most one per minMs. Under a live flood (5,000 events a second, rows replaced faster than
 * anyone can read them) every publication re-renders, lays out and paints all visible rows; at
 * 60 a second that work alone filled the page's main thread on a loaded machine. A quiet stream
 * is not delayed: the first change after a pause still shows on the next frame.
 */
export interface PacerDeps {
  /** Runs fn before the next paint (requestAnimationFrame in the browser). */
  frame(fn: () => void): void;
  /** Least time between two publications (ms); 0 or absent: every frame. */
  minMs?: number;
  now?(): number;
  delay?(fn: () => void, ms: number): void;
}

export function pacedPublisher(publish: () => void, deps: PacerDeps): () => void {
  const minMs = deps.minMs ?? 0;
  const now = deps.now ?? (() => Date.now());
  const delay = deps.delay ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms));
  let pending = false;
  let lastAt = -Infinity;
  const run = (): void =>
    deps.frame(() => {
      pending = false;
      lastAt = now();
      publish();
    });
  return () => {
    if (pending) return;
    pending = true;
    const wait = minMs > 0 ? lastAt + minMs - now() : 0;
    if (wait > 0) delay(run, wait);
    else run();
  };
}
