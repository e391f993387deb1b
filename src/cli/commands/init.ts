import type { Command } from 'commander';
import { bootstrap, loadConfig, openControlPlane } from '../../control-plane/index.js';
import { action, printJson } from '../command-output.js';

interface InitOptions {
  tenant?: string;
  admin: string;
  newToken?: boolean;
  tokenExpiresIn?: string;
  json?: boolean;
}

/**
 * `tunegate init`: creates `$TUNEGATE_HOME`, the database and the ledger key, the
 * tenant, its `admin` principal and a one-time admin token (printed once).
 * Idempotent: a second run prints no token unless `--new-token` is given.
 */
export function register(program: Command): void {
  program
    .command('init')
    .description('bootstrap the local store: tenant, admin principal and a one-time admin token')
    .option('--tenant <id>', 'tenant to create (default $TUNEGATE_TENANT or "default")')
    .option('--admin <id>', 'admin principal id', 'admin')
    .option('--new-token', 'issue another admin token even if one is live')
    .option('--token-expires-in <duration>', 'admin token lifetime, e.g. 30d (default 90d)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: InitOptions) => {
        const cp = await openControlPlane(loadConfig());
        try {
          const result = await bootstrap(cp, {
            ...(opts.tenant === undefined ? {} : { tenant: opts.tenant }),
            adminId: opts.admin,
            newToken: opts.newToken === true,
            ...(opts.tokenExpiresIn === undefined ? {} : { tokenExpiresIn: opts.tokenExpiresIn }),
          });
          const out = {
            home: cp.config.home,
            tenant: result.tenant,
            tenant_created: result.tenantCreated,
            admin: result.admin.id,
            admin_created: result.adminCreated,
            token: result.token,
            token_id: result.tokenId,
            public_key: cp.ledger.publicKey(),
          };
          if (opts.json) return printJson(out);
          const lines = [
            `tunegate home: ${out.home}`,
            `tenant:        ${out.tenant}${out.tenant_created ? ' (created)' : ''}`,
            `admin:         ${out.admin}${out.admin_created ? ' (created)' : ''}`,
            `ledger key:    ${out.public_key}`,
          ];
          if (out.token !== null) {
            lines.push(
              '',
              'Admin token (shown once; store it now, e.g. export TUNEGATE_TOKEN=...):',
              out.token,
            );
          } else {
            lines.push('', 'An admin token already exists; use --new-token to issue another.');
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        } finally {
          await cp.close();
        }
      }),
    );
}
