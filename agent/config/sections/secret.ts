import { z } from 'zod';

/**
 * A password given inline, from a file (`passwordFile`, must not be world-readable) or from an
 * environment variable (`passwordEnv`), so that one config file can be shared between hosts.
 * The loader resolves the file and env forms into `password` before anything starts.
 */
export const secretFields = {
  password: z.string().min(1).optional().describe('inline secret (prefer passwordFile or passwordEnv); give only one of the three')
    .meta({ example: 'secret' }),
  passwordFile: z.string().min(1).optional().describe('path of a file holding the secret; must not be world-readable')
    .meta({ example: '/etc/minwang/secrets/password' }),
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional()
    .describe('name of an environment variable holding the secret')
    .meta({ example: 'MINWANG_PASSWORD' }),
};

export const SECRET_SOURCES = ['password', 'passwordFile', 'passwordEnv'] as const;

export function checkOneSecretSource(value: Partial<Record<(typeof SECRET_SOURCES)[number], unknown>>, ctx: z.RefinementCtx): void {
  const given = SECRET_SOURCES.filter((k) => value[k] !== undefined);
  if (given.length > 1) {
    ctx.addIssue({ code: 'custom', path: [given[1] ?? 'password'], message: `give only one of ${given.join(', ')}` });
  }
}
