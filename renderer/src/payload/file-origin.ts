/**
 * Where a carved file came from, as the files tables show it: the URL or host (HTTP, FTP, TFTP)
 * and, for mail, who sent it to whom and the subject. Plain strings: React renders them as text.
 */
import type { CarvedFile } from '../../../common/bridge/messages.js';

const MAX_RECIPIENTS = 3;

function recipients(to: readonly string[]): string {
  if (to.length <= MAX_RECIPIENTS) return to.join(', ');
  return `${to.slice(0, MAX_RECIPIENTS).join(', ')} and ${to.length - MAX_RECIPIENTS} more`;
}

/** One to three lines: URL or host; "from → to" of a mail; its subject. */
export function fileOriginLines(file: Pick<CarvedFile, 'url' | 'host' | 'email'>): string[] {
  const lines: string[] = [];
  const where = file.url ?? file.host;
  if (where) lines.push(where);
  const e = file.email;
  if (e) {
    const from = e.from ?? e.envelopeFrom;
    const to = e.to.length ? e.to : e.envelopeTo;
    if (from || to.length) lines.push(`${from ?? '(no sender)'} → ${to.length ? recipients(to) : '(no recipient)'}`);
    if (e.subject) lines.push(`Subject: ${e.subject}`);
  }
  return lines;
}
