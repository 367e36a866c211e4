/**
 * What every long-lived JetStream consumer (`consumer.consume()`) pulls with. nats.js's defaults
 * (pulls that expire after 30 s, heartbeats every 15 s, and a 30 s wait before checking the
 * consumer again when a check fails) mean a pull lost with a NATS node, or a check made while the
 * cluster elects new leaders, is retried half a minute later: the read models stood still for
 * about 45 s after one node of three died (bench:faults). Pulls of 5 s notice within seconds,
 * for one small request per idle consumer every 5 s.
 */
export const PULL_OPTIONS = { expires: 5_000 } as const;
