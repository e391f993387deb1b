import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../contracts/role.js';
import { bootstrap, type ControlPlane } from '../../control-plane/index.js';
import {
  type TestClock,
  tempControlPlane,
  testClock,
} from '../../control-plane/test-support/temp-control-plane.js';
import { buildServer } from '../build-server.js';

/** A server on a fresh control plane, with an admin token and captured logs. */
export async function serverFixture(options: { bodyLimit?: number; clock?: TestClock } = {}) {
  const clock = options.clock ?? testClock();
  const temp = await tempControlPlane({ clock });
  const cp: ControlPlane = temp.cp;
  const boot = await bootstrap(cp);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app: FastifyInstance = buildServer(cp, {
    logLevel: 'info',
    logStream,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
  });
  await app.ready();
  const adminToken = boot.token ?? '';
  return {
    cp,
    app,
    clock,
    logs,
    adminToken,
    /** Creates a principal in `tenant` (created when missing) and returns a token for it. */
    async tokenFor(id: string, roles: Role[], tenant = 'default', expiresIn?: string): Promise<string> {
      const operator = cp.localSession(tenant).principal;
      await cp.identities.ensureTenant(operator, tenant);
      if (!(await cp.identities.principalExists(tenant, id))) {
        await cp.identities.createPrincipal(operator, tenant, { id, roles });
      }
      const t = await cp.identities.createToken(operator, tenant, {
        principal_id: id,
        ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
      });
      return t.token;
    },
    async dispose() {
      await app.close();
      await temp.dispose();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
