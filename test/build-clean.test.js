'use strict';
// `npm run build` cleans its output first: a compiled file whose source was deleted must not stay in nodes/ and ship.
const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');
const { execFileSync } = require('child_process');
const { cleanBuild } = require('../scripts/clean-build');

const ROOT = path.resolve(__dirname, '..');

function tree(root, files) {
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
}

function list(dir, base = dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? list(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name)).split(path.sep).join('/')]))
    .sort();
}

describe('build output cleaning', function () {
  let tmp;
  afterEach(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = null;
  });

  it('removes compiled files without a source and the folders they leave empty, and nothing else', function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-clean-'));
    tree(tmp, {
      'src/a.ts': '',
      'src/push/q.ts': '',
      'nodes/a.js': '',
      'nodes/a.js.map': '',
      'nodes/a.d.ts': '',
      'nodes/a.html': '<script></script>',
      'nodes/push/q.js': '',
      'nodes/push/gone.js': '',
      'nodes/push/gone.js.map': '',
      'nodes/push/gone.d.ts': '',
      'nodes/old/only.js': '',
      'nodes/locales/en-US/a.json': '{}',
      'nodes/locales/de/a.html': '',
      'nodes/icons/a.svg': '<svg/>',
      'nodes/plugins/p.html': '',
    });
    const removed = cleanBuild(tmp);
    assert.deepStrictEqual(removed.sort(), ['nodes/old/only.js', 'nodes/push/gone.d.ts', 'nodes/push/gone.js', 'nodes/push/gone.js.map']);
    assert.deepStrictEqual(list(path.join(tmp, 'nodes')), [
      'a.d.ts',
      'a.html',
      'a.js',
      'a.js.map',
      'icons/a.svg',
      'locales/de/a.html',
      'locales/en-US/a.json',
      'plugins/p.html',
      'push/q.js',
    ]);
    assert.ok(!fs.existsSync(path.join(tmp, 'nodes', 'old')), 'the emptied folder is gone');
  });

  it('npm run build removes a stale module of a deleted source and keeps every current one', function () {
    this.timeout(120000);
    const stale = ['nodes/zz-deleted-source.js', 'nodes/push/zz-deleted-source.js', 'nodes/push/zz-deleted-source.js.map'];
    tree(ROOT, Object.fromEntries(stale.map((f) => [f, '// compiled from a source that no longer exists\n'])));
    try {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: 110000 });
    } finally {
      const left = stale.filter((f) => fs.existsSync(path.join(ROOT, f)));
      for (const f of left) fs.rmSync(path.join(ROOT, f));
      assert.deepStrictEqual(left, [], 'stale compiled files survived the build');
    }
    assert.ok(fs.existsSync(path.join(ROOT, 'nodes', 'push', 'queue.js')));
    assert.ok(fs.existsSync(path.join(ROOT, 'nodes', 'oicp-hubject-config.html')));
    assert.ok(fs.existsSync(path.join(ROOT, 'nodes', 'icons', 'oicp-push-evse-data.svg')));
  });
});
