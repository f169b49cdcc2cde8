import { Match } from 'aws-cdk-lib/assertions';
import { createTableInput, TABLE, USERS_INDEX_ATTRIBUTES } from '../../lambdas/contract/table-schema';
import { synth } from './synth';

const byName = <T extends { AttributeName: string }>(items: readonly T[]) => [...items].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName));

describe('the table', () => {
  const { template } = synth();
  const schema = createTableInput('ignored');

  it('is the only table, billed on demand', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
  });

  it('has point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });

  it('expires items by the TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true } });
  });

  it('has the key schema and attributes the emulator tables are created with', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));

    expect(table!.Properties.KeySchema).toEqual(schema.KeySchema);
    expect(byName(table!.Properties.AttributeDefinitions)).toEqual(byName(schema.AttributeDefinitions));
  });

  it('projects only the public user fields into the users index', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    const [index] = table!.Properties.GlobalSecondaryIndexes;

    expect(table!.Properties.GlobalSecondaryIndexes).toHaveLength(1);
    expect(index).toEqual(schema.GlobalSecondaryIndexes[0]);
    expect(index.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: [...USERS_INDEX_ATTRIBUTES] });
    expect(index.Projection.NonKeyAttributes).not.toContain('passwordHash');
  });

  it('is retained, and protected from deletion, by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });
});

describe('the table with removalPolicy=destroy', () => {
  const { template } = synth({ context: { removalPolicy: 'destroy' } });

  it('is deleted with the stack and not deletion-protected', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('takes the log groups with it', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));

    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group.DeletionPolicy).toBe('Delete');
  });
});
