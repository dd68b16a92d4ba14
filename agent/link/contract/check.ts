/**
 * The gate every outgoing payload passes before it is queued: checked against its contract
 * schema, so a bug in a stage fails a test instead of surprising a station. A refused payload is
 * an AgentError naming the topic and the field; it is logged by the link and never queued.
 */
import type { z } from 'zod';
import { AgentError } from '../../core/errors.js';
import { ITEM_ID_RE } from './ids.js';

/** Returns the payload as the schema outputs it, or throws `link.invalid_message`. */
export function checkPayload<S extends z.ZodType>(topicName: string, schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error);
  throw new AgentError('link.invalid_message', `refused to queue a ${topicName} payload: ${problems}`, {
    details: { topic: topicName, fields: parsed.error.issues.map((issue) => issue.path.map(String).join('.')) },
  });
}

/** Refuses an id that would change a topic's meaning (or make the broker drop the connection). */
export function checkTopicLevel(what: string, id: string): void {
  if (!ITEM_ID_RE.test(id)) {
    throw new AgentError('link.invalid_message', `${what} ${JSON.stringify(id)} cannot be a topic level (1-128 of A-Z a-z 0-9 . _ -, not starting with . _ -)`, {
      details: { topic: what, fields: ['id'] },
    });
  }
}

/** "box.2: Too big: expected number to be <=1; unknown field colour", at most five issues. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.');
    const what = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
    return path === '' ? what : `${path}: ${what}`;
  }).join('; ');
}
