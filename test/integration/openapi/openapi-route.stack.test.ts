import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../infra/local/local-stack.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { committedOpenApiDocument } from '../../../infra/openapi.ts';

let stack: LocalStack;

useLocalStack((started) => (stack = started));

describe('GET /openapi.json through the local gateway', () => {
  it('answers 200 without an API key: the committed generated document, valid OpenAPI 3.1', async () => {
    const response = await fetch(`${stack.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual(committedOpenApiDocument());
    const validator = new Validator();
    expect((await validator.validate(body)).valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('ignores whatever Authorization comes with it', async () => {
    const response = await fetch(`${stack.url}/openapi.json`, { headers: { authorization: 'Bearer not-a-key-at-all-xyz' } });
    expect(response.status).toBe(200);
  });

  it('answers another method with a problem+json 405 naming GET', async () => {
    const response = await fetch(`${stack.url}/openapi.json`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('allow')).toBe('GET');
  });
});
