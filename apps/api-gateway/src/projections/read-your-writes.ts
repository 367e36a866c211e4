import type { CommandBus, CommandContext } from '../bus/index.js';
import type { ProjectionWaiter } from './projection-waiter.js';

/** How long a command's answer waits for the read model to show it (read-your-writes). */
export const READ_YOUR_WRITES_MS = 3_000;

/**
 * Sends a command, then waits (bounded) until `readModel` has applied what it appended, so the
 * caller's next read sees the write. `caughtUp` is false when the bound passed first.
 */
export async function commandThenCatchUp<T>(
  bus: CommandBus,
  readModel: ProjectionWaiter,
  subject: string,
  command: unknown,
  context: CommandContext,
): Promise<{ value: T; caughtUp: boolean }> {
  const { value, position } = await bus.call<T>(subject, command, context);
  const caughtUp = await readModel.waitFor(position, READ_YOUR_WRITES_MS);
  return { value, caughtUp };
}
