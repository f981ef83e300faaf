/**
 * Flow summaries of a live capture as they cross a process boundary (capture worker → main
 * process): one schema for the type and the receiving side's check. The live writer produces
 * them (node/store/live, `onFlows`); the flow is the `tapline flows --json` shape.
 */
import { z } from 'zod';
import { FlowRowSchema } from '../bridge/messages.js';
import type { FlowJson } from '../flow/flow-json.js';

export const LiveFlowSummarySchema = z.object({
  event: z.enum(['start', 'update', 'end']),
  /** Why a flow ended (null for start/update). */
  reason: z.enum(['fin', 'rst', 'idle', 'segment-closed']).nullable(),
  flow: FlowRowSchema.omit({ sensor: true, rank: true, classes: true }),
});
export type LiveFlowSummaryMessage = z.infer<typeof LiveFlowSummarySchema>;

export const LiveFlowSummaryBatchSchema = z.array(LiveFlowSummarySchema).max(1_000_000);

// the writer's FlowJson and the schema's flow must stay the same shape
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const flowShapeMatches: Same<LiveFlowSummaryMessage['flow'], FlowJson> = true;
void flowShapeMatches;
