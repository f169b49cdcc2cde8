/**
 * The roles a wristband knows, as configuration: which names exist, which
 * one self-registration gets, which one `create-admin` gives, and which may
 * manage other users (the `/api/users*` routes). The stack validates them
 * at synth (lib/config.ts) and hands them to every function as one JSON
 * environment variable (ROLES_ENV); the verifier, the authorizer context
 * decoder and the user-management handlers read them from there.
 *
 * Plain data and pure functions, no imports: part of the authorizer bundle
 * and of lib/, so nothing may load here at import time.
 */

export type Role = string;

export interface RoleConfig {
  /** Every role a token may carry; a token with any other role is refused. */
  readonly roles: readonly Role[];
  /** The role `POST /register` gives. */
  readonly registration: Role;
  /** The role `npm run create-admin` gives. */
  readonly createAdmin: Role;
  /** Roles that may list, change, delete and sign out other users. */
  readonly userManagers: readonly Role[];
}

export const DEFAULT_ROLE_CONFIG: RoleConfig = Object.freeze({
  roles: Object.freeze(['user', 'admin']),
  registration: 'user',
  createAdmin: 'admin',
  userManagers: Object.freeze(['admin']),
});

/** Environment variable holding the role configuration as JSON (every function gets it). */
export const ROLES_ENV = 'WRISTBAND_ROLES';

/** Lower-case names that read well in a token, an IAM resource list and a log line. */
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const ROLES_MAX = 16;

/** Why a role configuration is not one wristband accepts, one line each (keys as the CDK config names them). */
export function roleConfigProblems(config: RoleConfig, keys: Readonly<Record<keyof RoleConfig, string>>): string[] {
  const problems: string[] = [];
  const { roles } = config;
  if (roles.length === 0 || roles.length > ROLES_MAX) problems.push(`${keys.roles} must name 1 to ${ROLES_MAX} roles, got ${roles.length}`);
  for (const role of roles) {
    if (!ROLE_NAME.test(role)) problems.push(`${keys.roles}: ${JSON.stringify(role)} is not a role name (${ROLE_NAME.source})`);
  }
  const seen = new Set<string>();
  for (const role of roles) {
    if (seen.has(role)) problems.push(`${keys.roles} names ${JSON.stringify(role)} twice`);
    seen.add(role);
  }
  const known = (key: string, role: Role) => {
    if (!roles.includes(role)) problems.push(`${key} must be one of ${keys.roles} (${roles.join(', ')}), got ${JSON.stringify(role)}`);
  };
  known(keys.registration, config.registration);
  known(keys.createAdmin, config.createAdmin);
  for (const role of config.userManagers) known(keys.userManagers, role);
  return problems;
}

export function encodeRoleConfig(config: RoleConfig): string {
  return JSON.stringify({ roles: config.roles, registration: config.registration, createAdmin: config.createAdmin, userManagers: config.userManagers });
}

/** The inverse of `encodeRoleConfig`; throws one line when the value is not a valid configuration. */
export function decodeRoleConfig(raw: string): RoleConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${ROLES_ENV} is not JSON`);
  }
  const value = (parsed ?? {}) as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((item) => typeof item === 'string');
  if (!strings(value.roles) || typeof value.registration !== 'string' || typeof value.createAdmin !== 'string' || !strings(value.userManagers)) {
    throw new Error(`${ROLES_ENV} must be {"roles":[...],"registration":"...","createAdmin":"...","userManagers":[...]}`);
  }
  const config: RoleConfig = Object.freeze({
    roles: Object.freeze([...value.roles]),
    registration: value.registration,
    createAdmin: value.createAdmin,
    userManagers: Object.freeze([...value.userManagers]),
  });
  const problems = roleConfigProblems(config, { roles: 'roles', registration: 'registration', createAdmin: 'createAdmin', userManagers: 'userManagers' });
  if (problems.length > 0) throw new Error(`${ROLES_ENV}: ${problems[0]}`);
  return config;
}

let cached: { raw: string | undefined; config: RoleConfig } | undefined;

/**
 * The role configuration of this function, from its environment (the
 * defaults when the variable is absent: tests, the local stack). Parsed
 * once per value, so a cold start pays for it once.
 */
export function roleConfig(env: Readonly<Record<string, string | undefined>> = process.env): RoleConfig {
  const raw = env[ROLES_ENV];
  if (!cached || cached.raw !== raw) cached = { raw, config: raw === undefined || raw.trim() === '' ? DEFAULT_ROLE_CONFIG : decodeRoleConfig(raw) };
  return cached.config;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && roleConfig().roles.includes(value);
}

/** Whether `role` may manage other users (list, change, delete, sign out). */
export function mayManageUsers(role: Role): boolean {
  return roleConfig().userManagers.includes(role);
}
