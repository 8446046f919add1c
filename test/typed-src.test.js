'use strict';
// src/ is typed throughout (issue 24): no `any` annotation, cast or ESLint exemption from no-explicit-any. Where
// @types/node-red lacks a type, a small interface beside the code takes its place.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const SRC = path.join(__dirname, '..', 'src');
const files = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
// `: any`, `= any`, `as any`, `<any>`, `any[]` in type position (followed by what ends a type, so prose such as
// "a, any other" in a comment does not count), and `no-explicit-any` (an ESLint exemption).
const ANY = /(?::|=|\bas|<|,|\|)\s*any\s*(?=[;,)>\]=|&{]|\[\]|$)|no-explicit-any/;

describe('src is typed without any', function () {
  it('has no any annotation, cast or no-explicit-any exemption in src/**/*.ts', function () {
    const hits = [];
    for (const f of files(SRC))
      fs.readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (ANY.test(line)) hits.push(`${path.relative(SRC, f)}:${i + 1}: ${line.trim()}`);
        });
    assert.deepStrictEqual(hits, []);
  });

  it('types the ops plugin with @types/node-red', function () {
    const text = fs.readFileSync(path.join(SRC, 'plugins', 'oicp-ops.ts'), 'utf8');
    assert.match(text, /import type \{[^}]*\bNodeAPI\b[^}]*\} from 'node-red'/);
    assert.match(text, /export = function \(RED: NodeAPI\)/);
  });
});
