import { describe, expect, test } from '@jest/globals';
import { FixedWindows } from './fixed-windows.js';

describe('FixedWindows', () => {
  const clock = (start = 1_000) => {
    const time = { now: start };
    return { time, windows: new FixedWindows(60_000, 10, () => time.now) };
  };

  test('given requests in one window, each counts, and the window ends a window after the first', () => {
    const { time, windows } = clock();
    windows.take('a');
    time.now += 30_000;
    const window = windows.take('a');
    expect(window).toEqual({ count: 2, endsAt: 61_000 });
  });

  test('given a window that ended, the next request opens a new one', () => {
    const { time, windows } = clock();
    windows.take('a');
    windows.take('a');
    time.now = 61_000;
    expect(windows.take('a')).toEqual({ count: 1, endsAt: 121_000 });
  });

  test('peek answers the open window without counting, and nothing once it ended', () => {
    const { time, windows } = clock();
    windows.take('a');
    expect(windows.peek('a')).toEqual({ count: 1, endsAt: 61_000 });
    expect(windows.peek('a')?.count).toBe(1);
    expect(windows.peek('b')).toBeUndefined();
    time.now = 61_000;
    expect(windows.peek('a')).toBeUndefined();
  });

  test('past the keys it tracks, it forgets those whose windows started longest ago', () => {
    const { time, windows } = clock();
    // Given ten keys, key-0 first; its window then ends and restarts while the others' run on
    windows.take('key-0');
    time.now = 2_000;
    for (let i = 1; i < 10; i++) windows.take(`key-${i}`);
    time.now = 61_000;
    windows.take('key-0');
    // When an eleventh key arrives
    time.now = 61_500;
    windows.take('new');
    // Then the window that started longest ago (key-1's) is forgotten, and key-0 counts on
    expect(windows.size).toBe(10);
    expect(windows.peek('key-1')).toBeUndefined();
    expect(windows.peek('key-2')?.count).toBe(1);
    expect(windows.take('key-0').count).toBe(2);
  });
});
