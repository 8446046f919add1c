'use strict';
// Run by `npm run build` before tsc: removes compiled files in nodes/ whose source in src/ is gone, so a deleted
// module cannot ship as a stale .js. Only compiled outputs (.js, .js.map, .d.ts) are touched: nodes/ also holds the
// committed editor files, catalogues and icons. Usage: node scripts/clean-build.js [project root]
const fs = require('fs');
const path = require('path');

const COMPILED = /\.(js|js\.map|d\.ts)$/;

/** Removes orphaned compiled files below root/nodes and the folders they leave empty; returns their paths. */
function cleanBuild(root) {
  const out = path.join(root, 'nodes');
  const src = path.join(root, 'src');
  const removed = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(file);
        if (!fs.readdirSync(file).length) fs.rmdirSync(file);
        continue;
      }
      if (!COMPILED.test(e.name)) continue;
      const source = path.join(src, path.relative(out, file)).replace(COMPILED, '.ts');
      if (fs.existsSync(source)) continue;
      fs.rmSync(file);
      removed.push(path.relative(root, file).split(path.sep).join('/'));
    }
  };
  if (fs.existsSync(out)) walk(out);
  return removed;
}

module.exports = { cleanBuild };

if (require.main === module) {
  const removed = cleanBuild(path.resolve(process.argv[2] || path.join(__dirname, '..')));
  if (removed.length) console.log(`clean-build: removed ${removed.length} compiled file(s) without a source: ${removed.join(', ')}`);
}
