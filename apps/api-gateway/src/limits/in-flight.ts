import type { FastifyReply } from 'fastify';

/**
 * At most `max` requests at once on a route: a request over the bound is refused before its body
 * is read, so a burst of large bodies cannot take the process's memory. A slot is held from the
 * first byte until the answer is finished or the connection drops.
 */
export class InFlight {
  private current = 0;

  constructor(readonly max: number) {}

  /** Takes a slot for the request behind `reply`; false when none is left. */
  enter(reply: FastifyReply): boolean {
    if (this.current >= this.max) return false;
    this.current++;
    reply.raw.once('close', () => this.current--);
    return true;
  }

  get size(): number {
    return this.current;
  }
}
