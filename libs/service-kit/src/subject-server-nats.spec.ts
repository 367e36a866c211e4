import { describe, expect, test } from '@jest/globals';
import { SubjectServerNats } from './subject-server-nats.js';

describe('SubjectServerNats', () => {
  const server = new SubjectServerNats({ servers: ['nats://127.0.0.1:1'] });
  const handler = Object.assign(async () => 'answered', { isEventHandler: false });
  server.addHandler('providers.cmd.check', handler);
  server.addHandler({ cmd: 'sum', v: 1 }, handler);

  test('a subject is its own route', () => {
    expect(server.getHandlerByPattern('providers.cmd.check')).toBe(handler);
    expect(server.getHandlerByPattern('providers.cmd.act')).toBeNull();
  });

  test('an object pattern, sent as JSON, still finds its handler', () => {
    expect(server.getHandlerByPattern(JSON.stringify({ v: 1, cmd: 'sum' }))).toBe(handler);
  });
});
