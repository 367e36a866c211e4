import { parseArgs } from 'node:util';
import { UsageError, type AdminCommand } from './command.js';
import { withWorkspaceStore } from './gateway-db.js';

function parse(args: string[], options: Record<string, { type: 'string' }>, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
  }
  return parsed;
}

/** `create-workspace <name> --owner <email>`: a workspace, its owner, and the owner's first key. */
export const createWorkspace: AdminCommand = {
  name: 'create-workspace',
  usage: 'create-workspace <name> --owner <email>',
  async run(args, env) {
    const { positionals, values } = parse(args, { owner: { type: 'string' } }, 1);
    if (!values.owner) throw new UsageError('--owner <email> is required');
    const issued = await withWorkspaceStore(env, (store) =>
      store.createWorkspace(positionals[0]!, values.owner!),
    );
    return { workspaceId: issued.workspaceId, token: issued.token };
  },
};

/** `add-member <workspaceId> <email> --role <role>`: a member and their first key. */
export const addMember: AdminCommand = {
  name: 'add-member',
  usage: 'add-member <workspaceId> <email> --role <owner|admin|member|viewer>',
  async run(args, env) {
    const { positionals, values } = parse(args, { role: { type: 'string' } }, 2);
    if (!values.role) throw new UsageError('--role <owner|admin|member|viewer> is required');
    const issued = await withWorkspaceStore(env, (store) =>
      store.addMember(positionals[0]!, positionals[1]!, values.role!),
    );
    return { workspaceId: issued.workspaceId, token: issued.token };
  },
};
