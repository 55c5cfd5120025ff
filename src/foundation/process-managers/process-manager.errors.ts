import type { Command } from '../../core/message';
import { ReactiveDomainError, keepOutOfLogs } from '../../core/reactive-domain.error';
import { causeText } from '../subscriptions/listener.errors';

/** A command a process manager queued could not be sent. */
export class ProcessCommandError extends ReactiveDomainError {
  readonly code = 'PROCESS_COMMAND_FAILED';
  constructor(
    /** The process manager class's registered `typeName`. */
    readonly processManager: string,
    /** Id of the process manager instance that queued the command. */
    readonly processId: string,
    /** The command that could not be sent. */
    readonly command: Command,
    options?: { cause?: unknown },
  ) {
    super(
      `Process manager ${processManager} ${JSON.stringify(processId)}: sending ${command.constructor.name} (${command.msgId}) failed: ${causeText(options?.cause)}`,
      options,
    );
    keepOutOfLogs(this, 'command'); // its fields may be personal data
  }
}
