import { describe, expect, it } from 'vitest';
import { definedProps } from '../../../agent/core/defined-props.js';

describe('definedProps', () => {
  it('drops keys whose value is undefined and keeps every other value, falsy ones included', () => {
    const out = definedProps({ a: 1, b: undefined, c: null, d: 0, e: '', f: false });
    expect(out).toEqual({ a: 1, c: null, d: 0, e: '', f: false });
    expect(Object.keys(out)).not.toContain('b');
  });

  it('returns a new object and leaves its input alone', () => {
    const input = { a: 'x', b: undefined as string | undefined };
    const out = definedProps(input);
    expect(out).not.toBe(input);
    expect(Object.keys(input)).toEqual(['a', 'b']);
  });

  it('types the result so it fits an exact optional property', () => {
    const username: string | undefined = process.env['MINWANG_NO_SUCH_VARIABLE'];
    const target: { host: string; username?: string } = { host: 'h', ...definedProps({ username }) };
    expect(target).toEqual({ host: 'h' });
  });
});
