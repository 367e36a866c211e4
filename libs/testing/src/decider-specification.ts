import { expect } from '@jest/globals';
import type { ReplyError } from '#libs/contracts/src/index.js';
import type { Decided, Decider, EventData, Recorded } from '#libs/event-store/src/index.js';

type Event = { type: string; data: unknown };

/**
 * Specs for a decider that read as given events / when command / then events (or an error):
 *
 * ```ts
 * const spec = deciderSpecification(integrations);
 * test('connecting twice is a conflict', () =>
 *   spec.given([connected]).when(connectGithub).thenFails({ code: 'already_connected' }));
 * ```
 * `given` folds the events with `evolve` from the initial state (stream versions 1..n, event
 * ids `given-1..n`, workspace `options.workspaceId`); `when` runs `decide` at `options.now`.
 */
export function deciderSpecification<State, Command, E extends Event>(
  decider: Decider<State, Command, E>,
  options: { id?: string; now?: string; workspaceId?: string } = {},
) {
  const id = options.id ?? '00000000-0000-4000-8000-000000000001';
  const now = options.now ?? '2026-01-01T00:00:00.000Z';
  const workspaceId = options.workspaceId ?? 'workspace-1';
  const fold = (events: readonly EventData<E>[]) =>
    events.reduce(
      (state, event, i) =>
        decider.evolve(state, {
          ...event,
          id: `given-${i + 1}`,
          streamVersion: i + 1,
          metadata: { workspaceId },
        } as Recorded<E>),
      decider.initialState(id),
    );
  return {
    given(events: readonly EventData<E>[]) {
      return {
        /** The state the events fold to (what `evolve` makes of them). */
        thenState(expected: Partial<State>) {
          expect(fold(events)).toMatchObject(expected as Record<string, unknown>);
        },
        when(command: Command) {
          const decision = () => decider.decide(command, fold(events), now);
          return {
            /** Exactly these events, in this order (with their secrets and causation). */
            then(expected: readonly Decided<E>[]) {
              const decided = decision();
              if (!decided.ok) {
                throw new Error(`expected events, got ${JSON.stringify(decided.error)}`);
              }
              expect(decided.events).toEqual(expected);
            },
            /** No events: the command changes nothing. */
            thenNothing() {
              const decided = decision();
              expect(decided).toEqual({ ok: true, events: [] });
            },
            thenFails(expected: Partial<Omit<ReplyError, 'details'>> & { details?: unknown }) {
              const decided = decision();
              if (decided.ok) {
                throw new Error(`expected a refusal, got ${JSON.stringify(decided.events)}`);
              }
              expect(decided.error).toMatchObject(expected);
            },
          };
        },
      };
    },
  };
}
