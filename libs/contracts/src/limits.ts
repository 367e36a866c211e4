/**
 * Sizes below the bus's largest message (NATS `max_payload`, 1 MiB by default), so that nothing a
 * service appends is refused by the bus afterwards: every event, and the rules that become events.
 * Requests larger than the bus takes are refused by the gateway before they are sent.
 */
export const BUS_LIMITS = {
  /** One event's data and metadata, serialised. */
  eventBytes: 512 * 1024,
  /** One rule or policy as the integration service stores it, serialised. */
  ruleBytes: 256 * 1024,
} as const;
