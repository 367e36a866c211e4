import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { startStack, type Stack } from '../support/stack.js';

/**
 * A client that opens a request with `opening`, then sends `drip` every `everyMs` for as long as
 * the connection lasts (raw TCP: no HTTP library would send a request this slowly). Resolves with
 * everything the server answered once it closes the connection.
 */
async function slowClient(
  url: string,
  opening: string,
  drip: string,
  everyMs: number,
): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const connected = connect(Number(port), hostname, () => resolve(connected));
    connected.once('error', reject);
  });
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(drip);
  }, everyMs);
  try {
    return await new Promise<string>((resolve, reject) => {
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
      socket.write(opening);
    });
  } finally {
    clearInterval(trickle);
  }
}

/**
 * Slow clients cannot hold the gateway's connections: headers that never finish (slowloris) and
 * a body that trickles in are both answered 408 and the connection closed, each within the
 * configured timeout, whatever the client does next. The timeouts are short here so the test
 * does not wait for the defaults (10 s for headers, 60 s for the whole request).
 */
describe('request timeouts', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('headers that never finish are answered 408 and the connection is closed', async () => {
    // Given a client that sends part of a request's headers, then one more header now and then
    const answer = slowClient(
      stack.gateway.url,
      'GET /api/integrations HTTP/1.1\r\nHost: localhost\r\n',
      'X-Slow: 1\r\n',
      200,
    );

    // When the headers timeout passes, then the gateway answers 408 and closes the connection
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a body that trickles in past the request timeout is answered 408', async () => {
    // Given a client that announces a body and sends it a byte at a time
    const answer = slowClient(
      stack.gateway.url,
      'POST /api/integrations/slack/connect HTTP/1.1\r\nHost: localhost\r\n' +
        'Authorization: Token not-a-key\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100000\r\n\r\n{',
      ' ',
      100,
    );

    // When the request timeout passes, then the gateway answers 408 and closes the connection
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a request that arrives in time is answered as usual', async () => {
    // Given the same short timeouts, when a client sends a whole request at once
    const response = await fetch(`${stack.gateway.url}/api/integrations`, {
      headers: { authorization: 'Token not-a-key' },
    });

    // Then it gets the answer its request deserves, not a timeout
    expect(response.status).toBe(401);
  });
});
