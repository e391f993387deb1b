import type { Command } from 'commander';
import type { TokenView } from '../../contracts/api.js';
import { ContractError } from '../../contracts/error.js';
import { ROLES, type Role } from '../../contracts/role.js';
import { type ConnectionOptions, withClient, withConnectionOptions } from '../client-connection.js';
import { action, printJson } from '../command-output.js';

interface CreateOptions extends ConnectionOptions {
  principal: string;
  name?: string;
  expiresIn?: string;
  roles?: string;
}

/** Registers `tunegate token create|list|revoke`. */
export function register(program: Command): void {
  const token = program.command('token').description('issue, list and revoke API tokens');

  withConnectionOptions(
    token
      .command('create')
      .description('issue a token for a principal (the secret is printed once)')
      .requiredOption('--principal <id>', 'principal the token authenticates as')
      .option(
        '--roles <roles>',
        `create the principal first with these roles (comma-separated: ${ROLES.join(', ')})`,
      )
      .option('--name <name>', 'label shown in token lists')
      .option('--expires-in <duration>', 'lifetime such as 12h or 30d (default 90d)'),
  ).action(
    action(async (opts: CreateOptions) => {
      const roles = opts.roles === undefined ? undefined : parseRoles(opts.roles);
      const created = await withClient(opts, async (c) => {
        if (roles !== undefined) await c.createPrincipal({ id: opts.principal, roles });
        return c.createToken({
          principal_id: opts.principal,
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.expiresIn === undefined ? {} : { expires_in: opts.expiresIn }),
        });
      });
      if (opts.json) return printJson(created);
      process.stdout.write(
        `token ${created.info.id} for ${created.info.principal_id}, expires ${created.info.expires_at ?? 'never'}\n` +
          `secret (shown once):\n${created.token}\n`,
      );
    }),
  );

  withConnectionOptions(
    token
      .command('list')
      .description("list the tenant's tokens")
      .option('--principal <id>', 'only this principal'),
  ).action(
    action(async (opts: ConnectionOptions & { principal?: string }) => {
      const tokens = await withClient(opts, (c) => c.listTokens(opts.principal));
      if (opts.json) return printJson({ tokens });
      if (tokens.length === 0) return void process.stdout.write('no tokens\n');
      for (const t of tokens) process.stdout.write(`${formatToken(t)}\n`);
    }),
  );

  withConnectionOptions(
    token.command('revoke').description('revoke a token by id').argument('<id>', 'token id (tok_...)'),
  ).action(
    action(async (id: string, opts: ConnectionOptions) => {
      const t = await withClient(opts, (c) => c.revokeToken(id));
      if (opts.json) return printJson(t);
      process.stdout.write(`revoked ${t.id} (${t.principal_id}) at ${t.revoked_at}\n`);
    }),
  );
}

function parseRoles(text: string): Role[] {
  const roles = text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw new ContractError(
      'contract.invalid',
      `--roles: unknown role(s) ${unknown.join(', ') || '(none given)'}; expected ${ROLES.join(', ')}`,
    );
  }
  return roles as Role[];
}

function formatToken(t: TokenView): string {
  const state =
    t.revoked_at !== null
      ? 'revoked'
      : t.expires_at !== null && t.expires_at <= new Date().toISOString()
        ? 'expired'
        : 'active';
  return `${t.id}  ${t.prefix}…  ${t.principal_id.padEnd(16)} ${state.padEnd(8)} expires ${t.expires_at ?? 'never'}  last used ${t.last_used_at ?? 'never'}  ${t.name}`;
}
