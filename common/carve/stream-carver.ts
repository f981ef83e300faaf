/** The contract between a flow's reassembled streams and a protocol carver (SMTP, POP3, IMAP, FTP, TFTP). Environment-free. */
import type { Direction, StreamChunk } from '../reassembly/stream-types.js';

/** Errors and notable events of a carver, for the carve result (bounded). */
export interface CarveIssue {
  dir: Direction;
  offset: number;
  message: string;
}

/** What every carver driven by a flow's reassembled streams offers its driver. */
export interface StreamCarver {
  onData(c: StreamChunk): void;
  onEnd(dir: Direction, reason: string, gapAtEnd: number): void;
  /** The flow is not this carver's protocol: stop feeding it. */
  readonly gaveUp: boolean;
  /** The flow was recognized as this carver's protocol. */
  readonly recognized: boolean;
  readonly issues: CarveIssue[];
  readonly issueCount: number;
}
