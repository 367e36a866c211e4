import { fail, type ProviderDefinition, type Reply } from '#libs/contracts/src/index.js';
import type { OutboundGuard } from './outbound-guard.js';

export const OUTBOUND_GUARD = Symbol('OUTBOUND_GUARD');

/** A registry host without a scheme (`acme.azurecr.io`) is called over https. */
export function asUrl(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
}

/**
 * Save time: every URL field of the provider among `values` must pass the outbound policy; 400
 * naming the field (`prefix.field`) otherwise.
 */
export async function refuseForbiddenUrls(
  guard: OutboundGuard,
  provider: ProviderDefinition,
  values: Record<string, unknown>,
  prefix = '',
): Promise<Reply<never> | undefined> {
  const issues = [];
  for (const field of provider.urlFields ?? []) {
    const value = values[field];
    if (typeof value !== 'string') continue;
    const why = await guard.whyNot(asUrl(value));
    if (why) issues.push({ field: prefix ? `${prefix}.${field}` : field, message: why });
  }
  if (issues.length === 0) return undefined;
  return fail('validation', 'forbidden_url', 'the URL is not one this service will call', issues);
}
