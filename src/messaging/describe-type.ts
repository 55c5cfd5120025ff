import { describeValue } from '../core/reactive-domain.error';

/** Renders a message class (or any constructor) for an error message. For humans only, never for routing. */
export function describeType(type: unknown): string {
  if (typeof type === 'function') return (type as { name?: string }).name || 'anonymous class';
  return describeValue(type);
}

/** Renders a message as `TypeName <msgId>` for error messages. */
export function describeMessage(message: { readonly msgId: string }): string {
  return `${describeType((message as object).constructor)} ${message.msgId}`;
}
