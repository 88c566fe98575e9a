import type { agentpb } from '@app/contracts';

/**
 * Matches the commands agents receive to the commands the API accepted. A ServerMessage carries
 * no command id, but one agent's commands go through one partition of the command log and one
 * owner, in order; and the bench never has two requests for one agent in flight at once, so the
 * order it sends an agent's requests in is the order they are accepted in. So the k-th command an
 * agent receives must be its k-th accepted one. The bench also never sends an agent the same
 * (host, container, command) twice in a row, so a repeat of the previous one is recognisably a
 * duplicate and not the next command.
 */

export interface Expected {
  /** The bench's sequence number of the request. */
  seq: number;
  command: agentpb.CommandType;
  targetContainer: string;
  host: string;
  /** performance.now() when the first attempt was sent. */
  sentAt: number;
  /** When the 202 arrived; undefined while in flight. */
  acceptedAt?: number;
  commandId?: string;
  receivedAt?: number;
}

export interface Received {
  command: agentpb.CommandType;
  targetContainer: string;
  host: string;
}

interface AgentLedger {
  /** In send order: accepted and in-flight requests (refused ones are taken out). */
  expected: Expected[];
  /** Index in `expected` of the next command this agent should receive. */
  next: number;
}

const same = (a: Received, b: Received) =>
  a.command === b.command && a.targetContainer === b.targetContainer && a.host === b.host;

export class DeliveryLedger {
  private readonly agents = new Map<string, AgentLedger>();
  /** Every command message the agents received. */
  received = 0;
  /** Received in place of the next expected one: the previous one again, or one beyond those sent. */
  duplicates = 0;
  /** Received where the next expected differs and it is no repeat: counted, and the expected one taken as consumed. */
  mismatches = 0;
  /** Received before the bench had the 202 of its request (latency from accept negative). */
  beforeAccept = 0;
  /** Refused requests (no 202 after retries) whose command an agent had already received. */
  deliveredButRefused = 0;

  private ledger(agentId: string): AgentLedger {
    let ledger = this.agents.get(agentId);
    if (!ledger) {
      ledger = { expected: [], next: 0 };
      this.agents.set(agentId, ledger);
    }
    return ledger;
  }

  /** Whether a request for this agent is in flight (the bench sends one per agent at a time). */
  busy(agentId: string): boolean {
    const expected = this.agents.get(agentId)?.expected;
    const last = expected?.[expected.length - 1];
    return last !== undefined && last.acceptedAt === undefined;
  }

  /** The last command sent to the agent, so the next can differ from it. */
  last(agentId: string): Expected | undefined {
    const expected = this.agents.get(agentId)?.expected;
    return expected?.[expected.length - 1];
  }

  sent(agentId: string, command: Expected): void {
    this.ledger(agentId).expected.push(command);
  }

  accepted(command: Expected, at: number, commandId: string): void {
    command.acceptedAt = at;
    command.commandId = commandId;
    if (command.receivedAt !== undefined) this.beforeAccept++;
  }

  /** No 202 after the retries: the command is not expected, unless an agent already got it. */
  refused(agentId: string, command: Expected): void {
    const ledger = this.ledger(agentId);
    const index = ledger.expected.indexOf(command);
    if (index < 0) return;
    if (index < ledger.next) {
      this.deliveredButRefused++;
      return;
    }
    ledger.expected.splice(index, 1);
  }

  receive(agentId: string, message: Received, at: number): void {
    this.received++;
    const ledger = this.ledger(agentId);
    const expected = ledger.expected[ledger.next];
    const previous = ledger.next > 0 ? ledger.expected[ledger.next - 1] : undefined;
    if (expected && same(expected, message)) {
      expected.receivedAt = at;
      ledger.next++;
    } else if (!expected || (previous && same(previous, message))) {
      this.duplicates++;
    } else {
      this.mismatches++;
      ledger.next++;
    }
  }

  /** Accepted commands, in no particular order. */
  acceptedCommands(): Expected[] {
    return [...this.agents.values()].flatMap((l) => l.expected.filter((e) => e.acceptedAt !== undefined));
  }

  /** Accepted commands not (yet) received, by matching. */
  missing(): number {
    return this.acceptedCommands().filter((e) => e.receivedAt === undefined).length;
  }
}
