import { describe, expect, it } from 'vitest';
import { localName, rateMs, resolveValue, UnresolvableValueError } from '../../../local/provision/index.js';

const context = {
  stackName: 'Stack',
  region: 'eu-west-1',
  accountId: '000000000000',
  resources: new Map([
    [
      'Table',
      {
        ref: 'Stack-Table',
        attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/Stack-Table' },
      },
    ],
    ['Bucket', { ref: 'stack-bucket', attributes: { Arn: 'arn:aws:s3:::stack-bucket' } }],
  ]),
};
const resolve = (value: unknown) => resolveValue(value, 'X', context);

// CloudFormation's Fn::Sub syntax, not JavaScript template strings.
// biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
const SUB = 'arn:${AWS::Partition}:x:${AWS::AccountId}:${Bucket}/${Table.Arn}/${!Literal}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders
const SUB_WITH_VARIABLE = '${Name}-${AWS::StackName}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: what Fn::Sub makes of ${!Literal}
const LITERAL = '${Literal}';

describe('resolveValue', () => {
  it('resolves literals, Ref and Fn::GetAtt (both forms) to the local resources', () => {
    expect(resolve('plain')).toBe('plain');
    expect(resolve(42)).toBe('42');
    expect(resolve({ Ref: 'Table' })).toBe('Stack-Table');
    expect(resolve({ 'Fn::GetAtt': ['Bucket', 'Arn'] })).toBe('arn:aws:s3:::stack-bucket');
    expect(resolve({ 'Fn::GetAtt': 'Table.Arn' })).toBe(
      'arn:aws:dynamodb:eu-west-1:000000000000:table/Stack-Table',
    );
  });

  it('resolves pseudo parameters, Fn::Join, Fn::Sub, Fn::Select and Fn::Split', () => {
    expect(resolve({ 'Fn::Join': ['/', [{ Ref: 'AWS::Region' }, { Ref: 'Table' }]] })).toBe(
      'eu-west-1/Stack-Table',
    );
    expect(resolve({ 'Fn::Sub': SUB })).toBe(
      'arn:aws:x:000000000000:stack-bucket/arn:aws:dynamodb:eu-west-1:000000000000:table/Stack-Table/'.concat(
        LITERAL,
      ),
    );
    expect(resolve({ 'Fn::Sub': [SUB_WITH_VARIABLE, { Name: { Ref: 'Bucket' } }] })).toBe(
      'stack-bucket-Stack',
    );
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] })).toBe('b');
    expect(resolve({ Ref: 'AWS::NoValue' })).toBeUndefined();
  });

  it('names what it cannot resolve', () => {
    expect(() => resolve({ Ref: 'Missing' })).toThrow(UnresolvableValueError);
    expect(() => resolve({ Ref: 'Missing' })).toThrow(
      /X = \{"Ref":"Missing"\}.*no locally known resource 'Missing'/,
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Table', 'StreamArn'] })).toThrow(
      /attribute 'StreamArn' is not known locally/,
    );
    expect(() => resolve({ 'Fn::If': ['C', 'a', 'b'] })).toThrow(/Fn::If is not supported/);
  });
});

describe('rateMs and localName', () => {
  it('reads EventBridge rate expressions', () => {
    expect([
      rateMs('rate(1 minute)'),
      rateMs('rate(5 minutes)'),
      rateMs('rate(2 hours)'),
      rateMs('rate(1 day)'),
    ]).toEqual([60_000, 300_000, 7_200_000, 86_400_000]);
    expect(rateMs('cron(0 12 * * ? *)')).toBeUndefined();
  });

  it('makes names each service accepts', () => {
    expect(localName('stream', 'Stack', 'ViewsStream1A2B')).toBe('Stack-ViewsStream1A2B');
    expect(localName('bucket', 'My_Stack', 'OutputBucket9F', 'run1')).toBe('my-stack-outputbucket9f-run1');
    expect(localName('bucket', 'S', 'X'.repeat(80))).toHaveLength(63);
    expect(localName('function', 'Stack', 'Fn.With.Dots')).toBe('Stack-Fn-With-Dots');
  });
});
