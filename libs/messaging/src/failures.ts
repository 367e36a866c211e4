/**
 * How a message handler tells the durable consumer (durable-consumer.ts) what a failure means.
 * A module of its own, free of NATS, so pure code (a payload's reader) can say it too.
 */

/** A failure another try cannot mend (a message that cannot be read): parked at once. */
export class Unretryable extends Error {
  override name = 'Unretryable';
}

/**
 * A failure expected to pass (what the message needs is not committed yet): tried again like any
 * failure, but logged as news, not as a warning.
 */
export class NotYet extends Error {
  override name = 'NotYet';
}
