'use strict';
// Node-RED looks for icons only in an `icons` folder beside each node file, so icons/ is copied next to nodes/*.js.
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const from = path.join(root, 'icons');
const to = path.join(root, 'nodes', 'icons');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) {
  if (f.endsWith('.svg') || f.endsWith('.png')) fs.copyFileSync(path.join(from, f), path.join(to, f));
}
