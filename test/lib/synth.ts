/**
 * Builds the wristband stack the way `cdk synth` does (same app, same
 * feature flags from cdk.json), without bundling unless asked: bundling
 * fifteen functions is what makes a synth slow, and only one test needs it.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, resolveConfig, type ResolveConfigOptions, type WristbandConfigProps } from '../../lib/config';
import type { WristbandStack } from '../../lib/wristband-stack';
import { buildDemo } from '../../bin/demo';
import type { FunctionName } from '../../lambdas/contract/routes';
import type { TableStatement } from '../../lib/table-grants';

const ROOT = join(__dirname, '..', '..');

/** The context `cdk synth` gets from cdk.json: feature flags included, so logical ids match. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;

export interface SynthOptions {
  readonly context?: Record<string, unknown>;
  readonly props?: WristbandConfigProps;
  /** Run esbuild for real (slow); otherwise assets are stubs. */
  readonly bundle?: boolean;
  readonly outdir?: string;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: WristbandStack;
  readonly template: Template;
}

export function synth(options: SynthOptions = {}): Synthesized {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': options.bundle ? ['**'] : [], ...options.context },
  });
  const stack = buildDemo(app, { props: options.props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The template's own spelling of a token (`{"Ref": ...}`, `{"Fn::GetAtt": ...}`), for comparing with it. */
export function resolved(stack: Stack, value: unknown): unknown {
  return stack.resolve(value);
}

export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}

export function functionLogicalId(stack: WristbandStack, name: FunctionName): string {
  return logicalId(stack, stack.functions.byName[name]);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** JSON with object keys sorted, so equal conditions print equally whatever order CDK wrote them in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** One `action on resource [when condition]` line per allowed pair, the resource as its template JSON. */
export function grant(action: string, resource: unknown, condition?: unknown): string {
  return `${action} on ${JSON.stringify(resource)}${condition === undefined ? '' : ` when ${canonical(condition)}`}`;
}

/** The Allow statements of every AWS::IAM::Policy attached to a role, as lib/table-grants.ts evaluates them. */
export function statementsOf(template: Template, roleLogicalId: string): TableStatement<unknown>[] {
  const out: TableStatement<unknown>[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles = (policy.Properties.Roles ?? []) as unknown[];
    if (!roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
      if (statement.Effect !== 'Allow') throw new Error(`unexpected ${statement.Effect} statement`);
      out.push({
        actions: asArray(statement.Action),
        resources: asArray(statement.Resource),
        ...(statement.Condition ? { conditions: statement.Condition as TableStatement['conditions'] } : {}),
      });
    }
  }
  return out;
}

/**
 * Everything a role may do, flattened to `action on resource [when
 * condition]` lines, from every AWS::IAM::Policy attached to it. Minimised
 * or split statements compare the same.
 */
export function permissionsOf(template: Template, roleLogicalId: string): Set<string> {
  const out = new Set<string>();
  for (const statement of statementsOf(template, roleLogicalId)) {
    for (const action of statement.actions) {
      for (const resource of statement.resources) out.add(grant(action, resource, statement.conditions));
    }
  }
  return out;
}

/** The path of every AWS::ApiGateway::Resource, by logical id (`/api/users/{id}`). */
export function resourcePaths(template: Template): Map<string, string> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known) return known;
    const { ParentId, PathPart } = resources[id]!.Properties;
    const parent = ParentId.Ref ? pathOf(ParentId.Ref) : '';
    const path = `${parent}/${PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const id of Object.keys(resources)) pathOf(id);
  return paths;
}

/** The AWS::ApiGateway::Method for `method path`, or undefined. */
export function findMethod(template: Template, method: string, path: string): Record<string, any> | undefined {
  const paths = resourcePaths(template);
  for (const resource of Object.values(template.findResources('AWS::ApiGateway::Method'))) {
    const props = resource.Properties;
    if (props.HttpMethod !== method) continue;
    const at = props.ResourceId.Ref ? paths.get(props.ResourceId.Ref) : '/';
    if (at === path) return props;
  }
  return undefined;
}

/** The problems resolveConfig reports, or [] when it accepts. */
export function problemsOf(options: ResolveConfigOptions): readonly string[] {
  try {
    resolveConfig(options);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

/** resolveConfig options reading CDK context from a plain object. */
export const context = (values: Record<string, unknown>) => ({ context: (key: string) => values[key] });
