import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { startStack, type Stack } from '../support/stack.js';

/** Everything the server sends on `socket` until it closes the connection. */
function answerUntilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** A raw connection to the gateway, for clients that no HTTP library would imitate. */
function rawConnection(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
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
    const socket = await rawConnection(stack.gateway.url);
    const answer = answerUntilClosed(socket);
    socket.write('GET /api/integrations HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
    }, 200);

    // When the headers timeout passes, then the gateway answers 408 and closes the connection
    try {
      expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });

  test('a body that trickles in past the request timeout is answered 408', async () => {
    // Given a client that announces a body and sends it a byte at a time
    const socket = await rawConnection(stack.gateway.url);
    const answer = answerUntilClosed(socket);
    socket.write(
      'POST /api/integrations/slack/connect HTTP/1.1\r\nHost: localhost\r\n' +
        'Authorization: Token not-a-key\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100000\r\n\r\n{',
    );
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write(' ');
    }, 100);

    // When the request timeout passes, then the gateway answers 408 and closes the connection
    try {
      expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
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
