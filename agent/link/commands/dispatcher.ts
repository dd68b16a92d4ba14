import type { z } from 'zod';
import type { CommandRun } from '../contract/link.js';
import { describeIssues } from '../contract/check.js';
import {
  COMMANDS, COMMAND_ID_RE, CommandError, commandEnvelopeSchema, isCommandOp, type CommandErrorCode, type CommandOp, type CommandResponse,
} from '../contract/v1.js';
import { AgentError, isAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import { ReplayMemory } from './replay-memory.js';

export interface DispatcherDeps {
  clock: Clock;
  logger: Logger;
  /** Larger payloads are dropped before parsing. */
  maxBytes: number;
  /** Sends the answer on `cmd/<op>/response`. */
  answer: (op: string, response: CommandResponse) => void;
  /** Commands running at once, at most; more are answered `busy`. */
  maxRunning?: number;
  replayTtlMs?: number;
  replayMax?: number;
}

export { CommandError };

interface Handler {
  params: z.ZodType;
  answer: z.ZodType;
  run: (params: unknown, ctx: { id: string; op: string }) => Promise<unknown>;
}

/**
 * Turns `cmd/<op>` requests into handler calls and answers: size cap before parsing, envelope
 * and parameters validated against the contract's schema for the op (unknown fields are errors),
 * `expires` honoured, the answer checked against the contract too, one answer per request id. A request without a usable id gets no answer (there is nothing to answer to).
 * Never throws: a bad request can only produce an error answer or a log line.
 */
export class CommandDispatcher {
  private readonly handlers = new Map<string, Handler>();
  private readonly replay: ReplayMemory;
  private running = 0;

  constructor(private readonly deps: DispatcherDeps) {
    this.replay = new ReplayMemory({ ttlMs: deps.replayTtlMs ?? 600_000, max: deps.replayMax ?? 1000 });
  }

  /** Answers `op` with `run`; the parameter and answer schemas are the contract's for that op. */
  register<Op extends CommandOp>(op: Op, run: CommandRun<Op>): void {
    if (!isCommandOp(op)) throw new AgentError('usage', `${JSON.stringify(op)} is not a command of the contract (agent/link/contract/commands.ts)`);
    if (this.handlers.has(op)) throw new AgentError('usage', `command ${op} registered twice`);
    const spec = COMMANDS[op];
    this.handlers.set(op, { params: spec.params, answer: spec.answer, run: run as Handler['run'] });
  }

  ops(): string[] {
    return [...this.handlers.keys()];
  }

  /**
   * Handles one request; resolves when it is answered (or ignored). A request the broker kept
   * retained is never run: it would run again on every reconnect once the replay memory forgot it.
   */
  async handle(op: string, payload: Buffer, delivery: { retained?: boolean } = {}): Promise<void> {
    if (delivery.retained === true) {
      this.deps.logger.warn({ op, bytes: payload.length }, `command cmd/${op} arrived retained; ignored, no answer (clear it: publish an empty retained message on that topic)`);
      return;
    }
    try {
      await this.dispatch(op, payload);
    } catch (err) {
      this.deps.logger.error({ err, op }, 'command dispatch failed');
    }
  }

  private async dispatch(op: string, payload: Buffer): Promise<void> {
    const log = this.deps.logger;
    if (payload.length > this.deps.maxBytes) {
      log.warn({ op, bytes: payload.length, maxBytes: this.deps.maxBytes }, 'command payload too large; ignored unread');
      return;
    }
    const request = parseObject(payload);
    const id = request?.['id'];
    if (request === undefined || typeof id !== 'string' || !COMMAND_ID_RE.test(id)) {
      log.warn({ op, bytes: payload.length }, 'command without a JSON object and a valid "id"; no answer possible');
      return;
    }
    const key = `${op}\n${id}`;
    const now = this.deps.clock.monotonicMs();
    const seen = this.replay.get(key, now);
    if (seen !== undefined) {
      log.info({ op, id }, seen.answer === undefined ? 'duplicate of a running command; it will answer once' : 'duplicate command; answering again from memory');
      if (seen.answer !== undefined) this.deps.answer(op, seen.answer);
      return;
    }
    this.replay.begin(key, now);
    const envelope = commandEnvelopeSchema.safeParse(request);
    const answer = envelope.success ? await this.run(op, id, envelope.data.expires, request) : failure(id, 'bad_request', describeIssues(envelope.error));
    this.replay.finish(key, answer, this.deps.clock.monotonicMs());
    this.deps.answer(op, answer);
  }

  private async run(op: string, id: string, expires: string | undefined, request: Record<string, unknown>): Promise<CommandResponse> {
    const log = this.deps.logger.child({ op, id });
    if (expires !== undefined && Date.parse(expires) <= this.deps.clock.now().getTime()) {
      return failure(id, 'expired', `the request expired at ${expires}`);
    }
    const handler = this.handlers.get(op);
    if (handler === undefined) return failure(id, 'unknown_command', `no command "${op}"; known: ${this.ops().sort().join(', ')}`);
    const { id: _id, expires: _expires, ...rest } = request;
    const params = handler.params.safeParse(rest);
    if (!params.success) return failure(id, 'bad_request', describeIssues(params.error));
    if (this.running >= (this.deps.maxRunning ?? 8)) return failure(id, 'busy', 'too many commands running; try again');
    this.running++;
    try {
      const data: unknown = (await handler.run(params.data, { id, op })) ?? null;
      const checked = handler.answer.safeParse(data);
      if (!checked.success) {
        log.error({ issues: describeIssues(checked.error) }, 'command answer does not match the contract; not sent');
        return failure(id, 'failed', 'internal error (see the host log)');
      }
      log.info('command done');
      return { id, status: 'ok', data };
    } catch (err) {
      if (err instanceof CommandError) return failure(id, err.code, err.message);
      if (isAgentError(err)) return failure(id, 'failed', err.message);
      log.error({ err }, 'command failed unexpectedly');
      return failure(id, 'failed', 'internal error (see the host log)');
    } finally {
      this.running--;
    }
  }
}

function parseObject(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function failure(id: string, code: CommandErrorCode, message: string): CommandResponse {
  return { id, status: 'error', error: { code, message } };
}
