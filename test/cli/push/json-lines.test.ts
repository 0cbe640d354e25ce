import { describe, expect, it } from 'vitest';
import { parseLine } from '../../../cli/push/json-lines.js';

const line = (text: string, lineNumber = 1) => ({ lineNumber, text, bytesRead: text.length + 1 });

describe('parseLine', () => {
  it('turns an object line into a record keyed by the partition-key field', () => {
    const parsed = parseLine(line('{"page":"/docs","ts":1}'), 'page');
    expect(parsed).toMatchObject({ kind: 'record', partitionKey: '/docs' });
    if (parsed.kind === 'record')
      expect(new TextDecoder().decode(parsed.data)).toBe('{"page":"/docs","ts":1}');
  });

  it('skips blank lines and names what is wrong with malformed ones', () => {
    expect(parseLine(line('   '), 'page').kind).toBe('blank');
    expect(parseLine(line('{"page":', 7), 'page')).toMatchObject({
      kind: 'malformed',
      lineNumber: 7,
      reason: expect.stringMatching(/^not JSON/),
    });
    expect(parseLine(line('[1,2]'), 'page')).toMatchObject({ reason: 'not a JSON object (got an array)' });
    expect(parseLine(line('{"user":"ann"}'), 'page')).toMatchObject({
      reason: "no 'page' field to use as partition key",
    });
    expect(parseLine(line('{"page":{"a":1}}'), 'page')).toMatchObject({ kind: 'malformed' });
    expect(parseLine(line(`{"page":"${'x'.repeat(300)}"}`), 'page')).toMatchObject({ kind: 'malformed' });
  });

  it('accepts numbers as partition keys', () => {
    expect(parseLine(line('{"id":42}'), 'id')).toMatchObject({ kind: 'record', partitionKey: '42' });
  });
});
