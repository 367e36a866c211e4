import { describe, expect, test } from '@jest/globals';
import { isDatabaseUnavailable } from './unavailable.js';

const pgError = (code: string, message = 'server said no') =>
  Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  test.each([
    ['no pooled connection in time', new Error('timeout exceeded when trying to connect')],
    ['no answer in time', new Error('Query read timeout')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['too many connections', pgError('53300')],
    ['an administrator shutdown', pgError('57P01')],
    ['a connection failure', pgError('08006')],
    ['a refused socket', pgError('ECONNREFUSED')],
    ['a socket cut while writing', pgError('EPIPE')],
    [
      'a query on a client whose connection broke',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    [
      'a query error wrapped by TypeORM',
      Object.assign(new Error('Query read timeout'), {
        driverError: new Error('Query read timeout'),
      }),
    ],
    [
      'a pool error in a cause',
      new Error('webhook', { cause: new Error('timeout exceeded when trying to connect') }),
    ],
  ])('given %s, then the database is unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  test.each([
    ['a unique violation', pgError('23505')],
    ['a syntax error', pgError('42601')],
    ['a plain bug', new TypeError('x is undefined')],
    ['not an error', 'nope'],
  ])('given %s, then it is the request or the code at fault', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
