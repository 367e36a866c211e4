import { describe, expect, test } from '@jest/globals';
import { RestListCache } from '../../apps/api-gateway/src/rest/rest-list-cache.js';
import type { ReadModelChanges } from '../../apps/api-gateway/src/projections/index.js';

/** A change source like the projection's: listeners get the orgs whose rows changed. */
function changes() {
  const listeners: ((c: { workspaceIds: string[] }) => void)[] = [];
  return {
    source: { onChange: (l: (c: { workspaceIds: string[] }) => void) => listeners.push(l) },
    emit: (...workspaceIds: string[]) => listeners.forEach((l) => l({ workspaceIds })),
  };
}

describe('the REST list page cache', () => {
  test('serves a page until its org changes, then renders it again', async () => {
    const bus = changes();
    const cache = new RestListCache(bus.source as unknown as ReadModelChanges);
    let renders = 0;
    const render = async () => `page ${++renders}`;
    expect(await cache.page('org-a', 'k', render)).toBe('page 1');
    expect(await cache.page('org-a', 'k', render)).toBe('page 1');
    bus.emit('org-b');
    expect(await cache.page('org-a', 'k', render)).toBe('page 1');
    bus.emit('org-a');
    expect(await cache.page('org-a', 'k', render)).toBe('page 2');
  });

  test('a page rendered while its org changed is answered but not kept', async () => {
    const bus = changes();
    const cache = new RestListCache(bus.source as unknown as ReadModelChanges);
    let renders = 0;
    const racing = async () => {
      renders++;
      bus.emit('org-a');
      return 'stale?';
    };
    expect(await cache.page('org-a', 'k', racing)).toBe('stale?');
    expect(await cache.page('org-a', 'k', async () => 'fresh')).toBe('fresh');
    expect(renders).toBe(1);
  });
});
