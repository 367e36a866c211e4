import { describe, expect, test } from '@jest/globals';
import { checkRunState, ciStatus } from './ci-status.js';

const none = { state: 'pending', total_count: 0 };
const statuses = (state: string) => ({ state, total_count: 2 });
const done = (conclusion: string) => ({ status: 'completed', conclusion });

describe('ci_status from commit statuses and check runs', () => {
  test.each(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure'])(
    'a completed check run that concluded %s fails',
    (conclusion) => {
      expect(checkRunState(done(conclusion))).toBe('failure');
    },
  );

  test('success, neutral and skipped pass; queued, in progress and stale do not yet', () => {
    expect(['success', 'neutral', 'skipped'].map((c) => checkRunState(done(c)))).toEqual([
      'success',
      'success',
      'success',
    ]);
    expect(
      [
        { status: 'queued', conclusion: null },
        { status: 'in_progress', conclusion: null },
        done('stale'),
      ].map(checkRunState),
    ).toEqual(['pending', 'pending', 'pending']);
  });

  test('a failed check run beside successful statuses fails the commit', () => {
    expect(ciStatus(statuses('success'), [done('success'), done('failure')])).toBe('failure');
  });

  test('failed statuses fail the commit whatever the check runs say', () => {
    expect(ciStatus(statuses('failure'), [done('success')])).toBe('failure');
    expect(ciStatus(statuses('error'), [{ status: 'in_progress', conclusion: null }])).toBe(
      'failure',
    );
  });

  test('pending when anything still runs and nothing failed', () => {
    expect(ciStatus(statuses('success'), [{ status: 'queued', conclusion: null }])).toBe('pending');
    expect(ciStatus(statuses('pending'), [done('success')])).toBe('pending');
  });

  test('success when every status and check run passed, and with check runs alone', () => {
    expect(ciStatus(statuses('success'), [done('success'), done('skipped')])).toBe('success');
    // GitHub's combined state is `pending` without statuses: check runs alone decide.
    expect(ciStatus(none, [done('neutral'), done('success')])).toBe('success');
    expect(ciStatus(none, [done('cancelled')])).toBe('failure');
  });

  test('with neither statuses nor check runs, GitHub’s combined state as it was', () => {
    expect(ciStatus(none, [])).toBe('pending');
    expect(ciStatus(statuses('success'), [])).toBe('success');
  });
});
