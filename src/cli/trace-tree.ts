import { COMMAND_RECORDED, type CommandRecord } from '../foundation/audit/command-audit';
import type { RecordedEvent, StreamStore } from '../persistence/stream-store';
import { readAllEvents } from '../persistence/stream-readers';

/** One message of a conversation. */
export interface TraceNode {
  /** The message id (`msgId`; an event's event id). */
  readonly id: string;
  /** `event`, or `command`. */
  readonly kind: 'command' | 'event';
  /** Event type or command class name; undefined for a command known only from its events' causation id. */
  readonly type: string | undefined;
  /**
   * For a command: `recorded` when the command audit stored it (type, outcome, time and cause are known),
   * `inferred` when only its events name it (as their causation id): its type and cause are unknown.
   */
  readonly source: 'stored' | 'recorded' | 'inferred';
  /** The message that caused it (`$causationId`), when known. */
  readonly causationId: string | undefined;
  /** An event's stream and revision. */
  readonly stream?: string;
  /** An event's revision in its stream. */
  readonly revision?: number;
  /** The `$all` position of the event (or of the command's audit record). */
  readonly position?: bigint;
  /** When the event was stored, or the recorded command started. */
  readonly time?: Date;
  /** A recorded command's outcome. */
  readonly outcome?: CommandRecord['outcome'];
  /** A recorded command's error (code and message) when it failed. */
  readonly error?: CommandRecord['error'];
  /** Messages it caused, in `$all` order. */
  readonly children: TraceNode[];
}

/** A conversation as a causation tree. */
export interface TraceTree {
  /** The correlation id asked for. */
  readonly correlationId: string;
  /** The message that started the conversation (id = correlation id), then any message whose cause is unknown. */
  readonly roots: readonly TraceNode[];
  /** Every node, by id. */
  readonly nodes: ReadonlyMap<string, TraceNode>;
  /** Events scanned to find the conversation. */
  readonly scanned: number;
}

/**
 * Every stored event of one correlation, in `$all` order (a full `$all` scan: stores have no index by correlation;
 * EventStoreDB's `$by_correlation_id` projection would be one, when enabled).
 */
export async function readConversation(
  store: StreamStore,
  correlationId: string,
  pageSize = 1000,
): Promise<{ events: RecordedEvent[]; scanned: number }> {
  const events: RecordedEvent[] = [];
  const needle = JSON.stringify(correlationId);
  let scanned = 0;
  for await (const event of readAllEvents(store, { pageSize })) {
    scanned++;
    // Cheap test first: most events are of other conversations.
    if (!event.metadata.includes(needle) && event.eventId !== correlationId) continue;
    const metadata = parseMetadata(event.metadata);
    if (metadata.$correlationId === correlationId || event.eventId === correlationId) events.push(event);
  }
  return { events, scanned };
}

/**
 * Builds the causation tree of a conversation from its stored events. Commands are not stored, so a command node
 * comes from one of two places: a `CommandRecorded` audit event (`recordCommands` middleware: type, outcome, time,
 * and its own cause), or — without the audit — the causation id its events carry (`inferred`: type and cause
 * unknown; such a node hangs under the conversation's first message, or is a root of its own).
 */
export function buildTraceTree(
  correlationId: string,
  events: readonly RecordedEvent[],
  scanned: number,
): TraceTree {
  const nodes = new Map<string, TraceNode>();
  for (const event of events) {
    const metadata = parseMetadata(event.metadata);
    const causationId = typeof metadata.$causationId === 'string' ? metadata.$causationId : undefined;
    if (event.type === COMMAND_RECORDED) {
      const record = parseObject(event.data) as Partial<CommandRecord>;
      const id = typeof record.commandId === 'string' ? record.commandId : event.eventId;
      nodes.set(id, {
        id,
        kind: 'command',
        type: typeof record.commandType === 'string' ? record.commandType : undefined,
        source: 'recorded',
        causationId,
        position: event.position,
        time: typeof record.startedAt === 'string' ? new Date(record.startedAt) : event.created,
        ...(record.outcome ? { outcome: record.outcome } : {}),
        ...(record.error ? { error: record.error } : {}),
        children: [],
      });
    } else {
      nodes.set(event.eventId, {
        id: event.eventId,
        kind: 'event',
        type: event.type,
        source: 'stored',
        causationId,
        stream: event.streamName,
        revision: event.revision,
        position: event.position,
        time: event.created,
        children: [],
      });
    }
  }
  // Commands named only as a cause: the conversation's first command (id = correlation id) and, without the audit,
  // every command whose events we have.
  for (const node of [...nodes.values()]) {
    const cause = node.causationId;
    if (cause !== undefined && !nodes.has(cause)) {
      nodes.set(cause, {
        id: cause,
        kind: 'command',
        type: undefined,
        source: 'inferred',
        causationId: undefined,
        children: [],
      });
    }
  }
  const roots: TraceNode[] = [];
  const start = nodes.get(correlationId);
  for (const node of nodes.values()) {
    const parent = node.causationId === undefined ? undefined : nodes.get(node.causationId);
    if (parent && parent !== node) parent.children.push(node);
    else if (node !== start && start && node.source === 'inferred') start.children.push(node);
    else roots.push(node);
  }
  const order = (a: TraceNode, b: TraceNode): number => {
    const pa = a.position ?? firstPosition(a);
    const pb = b.position ?? firstPosition(b);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  };
  for (const node of nodes.values()) node.children.sort(order);
  roots.sort((a, b) => (a === start ? -1 : b === start ? 1 : order(a, b)));
  return { correlationId, roots, nodes, scanned };
}

/** The earliest position in a subtree (for ordering nodes that have none of their own). */
function firstPosition(node: TraceNode): bigint {
  let min = node.position ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n;
  for (const child of node.children) {
    const p = firstPosition(child);
    if (p < min) min = p;
  }
  return min;
}

const short = (id: string): string => (id.length > 12 ? `…${id.slice(-8)}` : id);

/** One line describing a node (without tree drawing). */
export function describeNode(node: TraceNode, origin: Date | undefined): string {
  const time = node.time ? ` ${node.time.toISOString().slice(11, 23)}${offset(node.time, origin)}` : '';
  if (node.kind === 'command') {
    const type = node.type ?? 'command';
    const how =
      node.source === 'recorded'
        ? ` ${node.outcome ?? '?'}${node.error ? ` (${node.error.code ? `${node.error.code}: ` : ''}${node.error.message})` : ''}`
        : ' (not recorded: known from its events)';
    return `▶ ${type} [command ${short(node.id)}]${how}${time}`;
  }
  return `● ${node.type} ${node.stream}@${node.revision} #${node.position}${time}`;
}

function offset(time: Date, origin: Date | undefined): string {
  if (!origin) return '';
  const ms = time.getTime() - origin.getTime();
  return ms >= 0 ? ` +${ms}ms` : ` ${ms}ms`;
}

/** The tree drawn for a terminal. */
export function renderTree(tree: TraceTree): string {
  const lines: string[] = [];
  const origin = earliest(tree);
  const walk = (node: TraceNode, prefix: string, last: boolean, top: boolean): void => {
    lines.push(
      top ? describeNode(node, origin) : `${prefix}${last ? '└─ ' : '├─ '}${describeNode(node, origin)}`,
    );
    const childPrefix = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    node.children.forEach((child, index) =>
      walk(child, childPrefix, index === node.children.length - 1, false),
    );
  };
  for (const root of tree.roots) walk(root, '', true, true);
  return lines.join('\n');
}

function earliest(tree: TraceTree): Date | undefined {
  let min: Date | undefined;
  for (const node of tree.nodes.values()) if (node.time && (!min || node.time < min)) min = node.time;
  return min;
}

/** The tree as a Mermaid flowchart (commands rounded, events as boxes, inferred commands dashed). */
export function renderMermaid(tree: TraceTree): string {
  const lines = ['flowchart TD'];
  const ids = new Map<string, string>();
  const nodeId = (node: TraceNode): string => {
    let id = ids.get(node.id);
    if (!id) ids.set(node.id, (id = `n${ids.size + 1}`));
    return id;
  };
  const text = (value: string): string => value.replace(/"/g, '#quot;');
  const walk = (node: TraceNode): void => {
    const id = nodeId(node);
    if (node.kind === 'command') {
      const label = `${node.type ?? 'command'}<br/>command ${short(node.id)}${node.outcome ? `<br/>${node.outcome}` : ''}`;
      lines.push(`  ${id}(["${text(label)}"])`);
      if (node.source === 'inferred') lines.push(`  style ${id} stroke-dasharray: 4 4`);
    } else {
      lines.push(`  ${id}["${text(`${node.type}<br/>${node.stream}@${node.revision}`)}"]`);
    }
    for (const child of node.children) {
      walk(child);
      lines.push(`  ${id} --> ${nodeId(child)}`);
    }
  };
  for (const root of tree.roots) walk(root);
  return lines.join('\n');
}

/** The tree as plain data for `--json` (positions and times as strings). */
export function treeToJson(tree: TraceTree): unknown {
  const convert = (node: TraceNode): unknown => ({
    id: node.id,
    kind: node.kind,
    type: node.type ?? null,
    source: node.source,
    causationId: node.causationId ?? null,
    ...(node.stream === undefined ? {} : { stream: node.stream, revision: node.revision }),
    ...(node.position === undefined ? {} : { position: node.position.toString() }),
    ...(node.time ? { time: node.time.toISOString() } : {}),
    ...(node.outcome ? { outcome: node.outcome } : {}),
    ...(node.error ? { error: node.error } : {}),
    children: node.children.map(convert),
  });
  return { correlationId: tree.correlationId, scanned: tree.scanned, roots: tree.roots.map(convert) };
}

function parseMetadata(json: string): { $correlationId?: unknown; $causationId?: unknown } {
  return parseObject(json) as { $correlationId?: unknown; $causationId?: unknown };
}

function parseObject(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
