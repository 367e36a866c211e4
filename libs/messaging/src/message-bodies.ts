import type { JsMsg } from '@nats-io/jetstream';

/**
 * Messages' JSON bodies, each parsed once however often it is asked for: a durable consumer's
 * `keyOf` reads a message before its handler does. Kept only while the message lives.
 */
export class MessageBodies<T> {
  private readonly read = new WeakMap<JsMsg, T>();

  of(msg: JsMsg): T {
    if (!this.read.has(msg)) this.read.set(msg, msg.json<T>());
    return this.read.get(msg) as T;
  }
}
