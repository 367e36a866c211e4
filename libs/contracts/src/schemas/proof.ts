import type { z } from 'zod';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * `describes<T>()(schema)`: the schema, with a compile-time proof that what it parses is exactly
 * `T` (the interface both ends of the bus import), so the two cannot drift apart.
 */
export const describes =
  <T>() =>
  <S extends z.ZodType>(
    schema: S,
    ..._proof: Same<z.output<S>, T> extends true ? [] : ['the schema does not describe T']
  ): S =>
    schema;
