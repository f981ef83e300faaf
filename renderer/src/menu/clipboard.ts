/**
 * Copies text. The async Clipboard API needs a secure context (https, or the loopback address);
 * a `serve` instance reached over plain http on a LAN is not one, so fall back to a selected
 * textarea and execCommand('copy'), which still works from a user gesture.
 */
export async function copyText(text: string): Promise<void> {
  if (window.isSecureContext && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // permission refused: try the fallback
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'clipboard-helper';
  document.body.append(ta);
  const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  previous?.focus({ preventScroll: true });
  if (!ok) throw new Error('the browser refused to copy');
}
