/**
 * An event type's schema can change; old rows stay as written and are upcast on read, one version
 * step at a time, so code only ever sees the current shape.
 */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(data: unknown): unknown;
}

export class Upcasters {
  private readonly byKey = new Map<string, Upcaster>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const u of upcasters) {
      const key = `${u.type}@${u.fromVersion}`;
      if (this.byKey.has(key)) throw new Error(`two upcasters for ${key}`);
      this.byKey.set(key, u);
    }
  }

  apply(
    type: string,
    schemaVersion: number,
    data: unknown,
  ): { schemaVersion: number; data: unknown } {
    let version = schemaVersion;
    let current = data;
    for (
      let u = this.byKey.get(`${type}@${version}`);
      u;
      u = this.byKey.get(`${type}@${version}`)
    ) {
      current = u.upcast(current);
      version += 1;
    }
    return { schemaVersion: version, data: current };
  }
}
