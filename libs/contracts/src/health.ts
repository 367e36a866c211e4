/** What a service answers on `<domain>.q.health`, so the gateway's readiness can name it. */
export interface ServiceHealthReply {
  service: string;
  status: 'up' | 'down';
  components: Record<string, { status: 'up' | 'down'; message?: string }>;
}
