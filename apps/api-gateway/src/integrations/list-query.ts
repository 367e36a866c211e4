import { z } from 'zod';

/** `GET /api/integrations?status=`: connected (the seed's default), disconnected or all. */
export const ListQuery = z.object({
  status: z
    .enum(['connected', 'disconnected', 'all'], {
      message: 'must be connected, disconnected or all',
    })
    .default('connected'),
});
