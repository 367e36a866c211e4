import { describe, expect, test } from '@jest/globals';
import { LeaderRows } from './leader-rows.js';
import type { Db } from './projection.js';

type Row = { id: string; name: string };

/** A lead's session, as far as `LeaderRows` tells one from another: by identity. */
const session = (): Db => ({ query: async () => [] as never });
const row = (id: string, name = id): Row => ({ id, name });
const stored = (...rows: Row[]) => new Map(rows.map((r) => [r.id, r]));

describe('LeaderRows: what a leading projection remembers of its rows', () => {
  test('given nothing read yet, when a batch names rows, then every id is to be read', () => {
    const memory = new LeaderRows<Row>();
    const recalled = memory.recall(session(), ['a', 'b', 'a']);
    expect(recalled).toEqual({ rows: new Map(), missing: ['a', 'b'] });
  });

  test('given rows read, when the next batch names them, then nothing is read, absent ones included', () => {
    const memory = new LeaderRows<Row>();
    const db = session();
    const first = memory.recall(db, ['a', 'b']);
    memory.learn(first, stored(row('a')));
    expect(first.rows).toEqual(stored(row('a')));

    const next = memory.recall(db, ['a', 'b']);
    expect(next).toEqual({ rows: stored(row('a')), missing: [] });
  });

  test('given rows written, when the next batch names them, then it recalls them as written', () => {
    const memory = new LeaderRows<Row>();
    const db = session();
    memory.learn(memory.recall(db, ['a', 'b']), stored(row('a'), row('b')));
    memory.wrote(db, [['a', row('a', 'renamed')]], ['b']);

    expect(memory.recall(db, ['a', 'b'])).toEqual({
      rows: stored(row('a', 'renamed')),
      missing: [],
    });
  });

  test('given rows remembered in one lead, when another lead recalls them, then all are read again', () => {
    const memory = new LeaderRows<Row>();
    const before = session();
    memory.learn(memory.recall(before, ['a']), stored(row('a')));

    const after = session();
    expect(memory.recall(after, ['a'])).toEqual({ rows: new Map(), missing: ['a'] });
    // What the old lead wrote after it lost the lead changes nothing the new one knows.
    memory.wrote(before, [['a', row('a', 'late')]], []);
    memory.learn(memory.recall(after, ['a']), stored(row('a', 'stored')));
    expect(memory.recall(after, ['a']).rows).toEqual(stored(row('a', 'stored')));
  });

  test('given more rows than it holds, when one more is learnt, then the least recently used is forgotten', () => {
    const memory = new LeaderRows<Row>(2);
    const db = session();
    memory.learn(memory.recall(db, ['a', 'b']), stored(row('a'), row('b')));
    memory.recall(db, ['a']);
    memory.learn(memory.recall(db, ['c']), stored(row('c')));

    expect(memory.recall(db, ['a', 'b', 'c']).missing).toEqual(['b']);
  });
});
