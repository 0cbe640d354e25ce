import { describe, expect, it } from 'vitest';
import { FUNCTION_METADATA } from '../../infra/streaming-query/lambda.js';
import { FUNCTION, pageViews, templateOf } from './synth.js';

describe('sluice function metadata (read by local provisioning)', () => {
  it('names the entry relative to the project root, the query and the role of each function', () => {
    const template = templateOf((stack) => pageViews(stack));
    const metadata = Object.values(template.findResources(FUNCTION)).map((resource) => {
      const m = resource.Metadata as Record<string, unknown>;
      return [m[FUNCTION_METADATA.entry], m[FUNCTION_METADATA.query], m[FUNCTION_METADATA.role]];
    });
    expect(metadata).toEqual(
      expect.arrayContaining([
        ['functions/page-views.ts', 'page-views', 'query'],
        ['functions/heartbeat.ts', 'page-views', 'heartbeat'],
      ]),
    );
  });
});
