/** `If-Match` as RFC 9110 §13.1.1 reads it: `*`, or a list of entity tags compared strongly. */
import { describe, expect, it } from 'vitest';
import { preconditionOf } from '../../functions/http/preconditions.js';
import { HttpProblemError } from '../../functions/http/problem.js';

const of = (value?: string) => preconditionOf({ headers: value === undefined ? {} : { 'if-match': value } });

describe('If-Match', () => {
  it('absent or * adds no version constraint', () => {
    expect(of()).toEqual({});
    expect(of('*')).toEqual({});
  });

  it('names the versions of its strong tags; a list matches if any member does', () => {
    expect(of('"3"')).toEqual({ ifMatch: [3] });
    expect(of('"7", "3"')).toEqual({ ifMatch: [7, 3] });
    expect(of(' "7" ,, "3" ,')).toEqual({ ifMatch: [7, 3] });
  });

  it('a well-formed tag this API never issued, or a weak one, matches nothing (412, not 400)', () => {
    expect(of('"abc"')).toEqual({ ifMatch: [] });
    expect(of('W/"3"')).toEqual({ ifMatch: [] });
    expect(of('"03"')).toEqual({ ifMatch: [] });
    expect(of('"a,b", W/"3", "4"')).toEqual({ ifMatch: [4] });
  });

  it.each(['3', '"3', '"3" "4"', '*, "3"', 'W/3', '"a"b"', ','])(
    'refuses the malformed %j with a 400 naming the header',
    (value) => {
      let thrown: unknown;
      try {
        of(value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(HttpProblemError);
      const problem = thrown as HttpProblemError;
      expect(problem.status).toBe(400);
      expect(problem.extensions.errors).toEqual([
        { field: 'If-Match', reason: expect.stringMatching(/entity tag/) },
      ]);
    },
  );
});
