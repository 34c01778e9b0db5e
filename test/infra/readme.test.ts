/**
 * The README is read in a clone that has nothing else: every file it points at must be in the
 * repository, and nothing may point outside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/service-function.js';

const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('points at nothing outside the repository', () => {
    expect(readme.match(/[^\s`(]*\.\.\/[^\s`)]*/g) ?? []).toEqual([]);
  });

  it('links only to files that exist in the repository (or to the web)', () => {
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1] as string);
    expect(targets.filter((t) => !/^https?:/.test(t) && !existsSync(join(PROJECT_ROOT, t)))).toEqual([]);
  });

  it('names only repository files that exist', () => {
    const paths = [
      ...readme.matchAll(/`((?:functions|infra|test|statemachines)\/[\w./-]+\.(?:ts|json))`/g),
    ].map((m) => m[1] as string);
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !existsSync(join(PROJECT_ROOT, p)))).toEqual([]);
  });
});
