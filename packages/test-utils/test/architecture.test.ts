import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runNode } from '../src';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import semver from 'semver';

// Import-level rules live in .dependency-cruiser.cjs; this checks the manifests themselves.
const root = path.resolve(__dirname, '../../..');
const SDK =
  /^@opentelemetry\/(sdk-|exporter-|instrumentation|auto-instrumentations-|winston-transport$|context-async-hooks$|resources$)/;

// The one exception (issue 4): otel-metrics' prometheusMetrics() is built on sdk-metrics and
// exporter-prometheus, with a resource for the required labels. Exactly these three.
const ALLOWED_SDK: Record<string, string[]> = {
  '@ai-teams/otel-metrics': [
    '@opentelemetry/exporter-prometheus',
    '@opentelemetry/resources',
    '@opentelemetry/sdk-metrics',
  ],
};

interface Manifest {
  name: string;
  version?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  private?: boolean;
  [field: string]: unknown;
}

function manifests(dir: string): Manifest[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => JSON.parse(readFileSync(path.join(root, dir, d.name, 'package.json'), 'utf8')));
}

/** The folder of `name` as Node resolves it from `from` (the nearest node_modules up the tree). */
function installed(name: string, from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${name} is not installed above ${from}`);
  }
}

/** Whether the package installed in `dir` brings its own declarations. */
function shipsTypes(dir: string): boolean {
  const own = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  return (
    typeof own.types === 'string' ||
    typeof own.typings === 'string' ||
    JSON.stringify(own.exports ?? null).includes('"types"') ||
    existsSync(path.join(dir, 'index.d.ts'))
  );
}

/** The installed manifests of `dir`'s runtime dependencies, to any depth. */
function runtimeDependencies(dir: string, seen = new Map<string, Manifest>()): Manifest[] {
  const own = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  for (const name of Object.keys(own.dependencies ?? {})) {
    const found = installed(name, dir);
    if (seen.has(found)) continue;
    seen.set(found, JSON.parse(readFileSync(path.join(found, 'package.json'), 'utf8')));
    runtimeDependencies(found, seen);
  }
  return [...seen.values()];
}

describe('workspace manifests', () => {
  const published = manifests('packages').filter((m) => !m.private);

  it('finds the published packages', () => {
    assert.ok(published.some((m) => m.name === '@ai-teams/tracking-id'));
  });

  it('declares SDK packages as runtime dependencies only in @ai-teams/telemetry', () => {
    for (const m of published) {
      if (m.name === '@ai-teams/telemetry') continue;
      const sdk = Object.keys(m.dependencies ?? {}).filter(
        (d) => SDK.test(d) && !(ALLOWED_SDK[m.name] ?? []).includes(d),
      );
      assert.deepEqual(sdk, [], `${m.name} depends on SDK packages at run time`);
    }
  });

  it('gives every published package engines >=22.15, exports, types and a files list', () => {
    for (const m of published as Record<string, unknown>[]) {
      assert.deepEqual(m.engines, { node: '>=22.15' }, String(m.name));
      assert.ok(m.exports && m.types && Array.isArray(m.files), String(m.name));
    }
  });

  it('runs the published suites in npm test on the lowest Node engines admits, and on others', () => {
    const { scripts, engines } = JSON.parse(
      readFileSync(path.join(root, 'package.json'), 'utf8'),
    ) as { scripts: Record<string, string>; engines: { node: string } };
    const versionsOf = (script: string | undefined) => {
      const match = /^bash \.ci\/test-node-versions((?: \d+\.\d+\.\d+)+)$/.exec(script ?? '');
      assert.ok(match, `not a .ci/test-node-versions call: ${script}`);
      return match[1]!.trim().split(' ');
    };
    const lowest = semver.minVersion(engines.node)!.version;
    assert.match(scripts.test!, /&& npm run test:node-versions$/);
    const versions = versionsOf(scripts['test:node-versions']);
    assert.ok(versions.includes(lowest), `test:node-versions leaves out ${lowest}`);
    assert.ok(versions.length > 1, 'test:node-versions runs the lowest Node only');
    for (const v of versions) assert.ok(semver.satisfies(v, engines.node), v);
    assert.deepEqual(versionsOf(scripts['test:node-lowest']), [lowest]);
  });
});

describe('peer ranges', () => {
  // npm installs what a peer range admits; a version the package's own dependencies reject
  // fails `npm install --strict-peer-deps` (ERESOLVE) and warns otherwise. So every version ours
  // admits must be one theirs admit: the SDK 3.1 takes >=1.10.0 <1.11.0, and a "^1.10.0" of
  // ours promised 1.11 to a user, which the SDK would refuse.
  const API = '@opentelemetry/api';
  for (const m of manifests('packages').filter((p) => !p.private)) {
    it(`${m.name}: its ${API} range is within every dependency's peer range`, () => {
      const ours = m.peerDependencies?.[API];
      assert.ok(ours, `${m.name} declares no ${API} peer`);
      const dir = path.join(root, 'packages', m.name.replace('@ai-teams/', ''));
      const rejecting = runtimeDependencies(dir)
        .filter((d) => d.peerDependencies?.[API] !== undefined)
        .filter((d) => !semver.subset(ours, d.peerDependencies![API]!))
        .map((d) => `${d.name}@${d.version} wants ${d.peerDependencies![API]}`);
      assert.deepEqual(rejecting, [], `${m.name} admits ${API} ${ours}`);
    });
  }
});

describe('winston ranges', () => {
  // error-span-events takes the adopter's winston (peer ^3.8.0); cloudwatch-logger depends on
  // winston. A pin there put a second winston under cloudwatch-logger beside any other 3.x the
  // adopter had, and createLogger()'s Logger no longer compiled as the adopter's
  // `winston.Logger` (TS2322). A range admitting the peer's versions lets npm share one copy.
  const published = manifests('packages').filter((p) => !p.private);
  const peer = published.find((m) => m.name === '@ai-teams/error-span-events')?.peerDependencies
    ?.winston;
  for (const m of published.filter((p) => p.dependencies?.winston !== undefined)) {
    it(`${m.name}: its winston dependency admits every winston of the peer range`, () => {
      assert.ok(peer, '@ai-teams/error-span-events declares no winston peer');
      const ours = m.dependencies!.winston!;
      assert.ok(semver.subset(peer, ours), `${m.name} depends on winston ${ours}, peer is ${peer}`);
    });
  }
});

describe('path-to-regexp range', () => {
  // tracking-id checks a mount's pattern with path-to-regexp, the matcher of Express 5's router
  // (which takes "^8.0.0"). An exact version put a second copy under tracking-id wherever the
  // adopter's tree held another 8.x (npm nests a pinned version rather than replace the shared
  // copy), so the check ran another version's matcher than the router's, and a fix released in
  // path-to-regexp reached the router's copy alone. A range within the router's shares its copy.
  it("@ai-teams/tracking-id: its path-to-regexp is a range within the router's", () => {
    const tracking = manifests('packages').find((m) => m.name === '@ai-teams/tracking-id')!;
    const ours = tracking.dependencies?.['path-to-regexp'];
    assert.ok(ours, '@ai-teams/tracking-id depends on no path-to-regexp');
    const router = JSON.parse(
      readFileSync(
        path.join(installed('router', installed('express', root)), 'package.json'),
        'utf8',
      ),
    ) as Manifest;
    const theirs = router.dependencies!['path-to-regexp']!;
    assert.equal(semver.valid(ours), null, `path-to-regexp ${ours} is one version, not a range`);
    assert.ok(semver.subset(ours, theirs), `path-to-regexp ${ours}, the router takes ${theirs}`);
  });
});

describe('SDK versions', () => {
  // sdk-node and the OTLP and Prometheus exporters pin core, resources and the sdk-* packages
  // to exact versions. A caret of ours lets npm put a newer patch at the top of a user's tree,
  // and every pinned copy then goes under its own dependent: in a fresh install with
  // "^3.1.0" and 3.1.1 out, @opentelemetry/core was loaded 13 times, sdk-trace and sdk-logs
  // twice (sdk-node's tracer provider running our sdk-trace's span processor). Declaring the
  // versions they pin keeps one copy of each.
  const published = manifests('packages').filter((p) => !p.private);
  const pinned = new Map<string, Set<string>>();
  for (const m of published) {
    const dir = path.join(root, 'packages', m.name.replace('@ai-teams/', ''));
    for (const d of runtimeDependencies(dir)) {
      for (const [name, spec] of Object.entries(d.dependencies ?? {})) {
        if (!name.startsWith('@opentelemetry/') || !semver.valid(spec)) continue;
        if (!pinned.has(name)) pinned.set(name, new Set());
        pinned.get(name)!.add(spec);
      }
    }
  }

  it('finds the versions sdk-node pins', () => {
    assert.ok(pinned.has('@opentelemetry/core') && pinned.has('@opentelemetry/sdk-trace'));
  });

  for (const m of published) {
    it(`${m.name}: declares each SDK package the SDK pins at the pinned version`, () => {
      const wrong = Object.entries(m.dependencies ?? {})
        .filter(([name]) => pinned.has(name))
        .filter(([name, spec]) => pinned.get(name)!.size !== 1 || !pinned.get(name)!.has(spec))
        .map(([name, spec]) => `${name} ${spec}, pinned: ${[...pinned.get(name)!].join(', ')}`);
      assert.deepEqual(wrong, []);
    });
  }
});

const LOADED = /(?:\brequire\(|\bfrom\s*|\bimport\()\s*["']([^"'./][^"']*)["']/g;

/** The packages (not builtins) that the files under `dir` whose names match `ext` load. */
function modulesLoaded(dir: string, ext: RegExp): Set<string> {
  const loaded = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!ext.test(file)) continue;
    for (const [, specifier] of readFileSync(path.join(dir, file), 'utf8').matchAll(LOADED)) {
      if (isBuiltin(specifier!)) continue;
      const parts = specifier!.split('/');
      loaded.add(specifier!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return loaded;
}

describe('declared dependencies', () => {
  // What a package's build output loads must be in its own manifest: in a user's install there
  // is no workspace to hoist an undeclared module from.
  for (const m of manifests('packages').filter((p) => !p.private)) {
    const dir = path.join(root, 'packages', m.name.replace('@ai-teams/', ''), 'dist');
    const manifest = m as typeof m & {
      optionalDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };

    it(`${m.name} declares every module its build output loads`, () => {
      const declared = new Set([
        ...Object.keys(m.dependencies ?? {}),
        ...Object.keys(m.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const loaded = modulesLoaded(dir, /\.(js|mjs|cjs)$/);
      assert.ok(loaded.size > 0, `${m.name}: nothing found in ${dir}: run npm run build`);
      assert.deepEqual(
        [...loaded].filter((d) => !declared.has(d)).sort(),
        [],
        `${m.name} loads modules its package.json does not declare`,
      );
    });

    // A TypeScript user compiles against the declarations (skipLibCheck off: TS7016 or TS2307
    // otherwise): each module they import is declared, as itself when it ships its own types,
    // else as its @types package.
    it(`${m.name} declares the types its declarations import`, () => {
      const declared = new Set([
        ...Object.keys(m.dependencies ?? {}),
        ...Object.keys(m.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      const imported = modulesLoaded(dir, /\.d\.(ts|mts)$/);
      assert.ok(imported.size > 0, `${m.name}: no declarations in ${dir}: run npm run build`);
      const untyped = [...imported].filter((name) => {
        if (declared.has(`@types/${name.replace(/^@([^/]+)\//, '$1__')}`)) return false;
        return !declared.has(name) || !shipsTypes(installed(name, path.dirname(dir)));
      });
      assert.deepEqual(untyped.sort(), [], `${m.name}: declarations import undeclared types`);
    });

    // npm installs every required peer: a required peer the code never loads is installed for
    // nothing (express came with error-span-events' format through tracking-id).
    it(`${m.name} makes optional every peer its build output does not load`, () => {
      const loaded = modulesLoaded(dir, /\.(js|mjs|cjs)$/);
      assert.ok(loaded.size > 0, `${m.name}: nothing found in ${dir}: run npm run build`);
      const required = Object.keys(m.peerDependencies ?? {}).filter(
        (peer) => !manifest.peerDependenciesMeta?.[peer]?.optional,
      );
      assert.deepEqual(
        required.filter((peer) => !loaded.has(peer)),
        [],
        `${m.name}: required peers its build output never loads`,
      );
    });
  }
});

/**
 * The modules a script preloads into node: `--require`/`-r`, `--import`, `--loader`/
 * `--experimental-loader`, with a space or `=`, also inside a quoted `NODE_OPTIONS`.
 */
function preloads(script: string): string[] {
  const flag =
    /(?:^|[\s'"=])(?:--(?:require|import|loader|experimental-loader)|-r)(?:=|\s+)['"]?([^\s'"]+)/g;
  return [...script.matchAll(flag)].map(([, spec]) =>
    spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!,
  );
}

describe('example services', () => {
  it('reads the preloads of short flags and NODE_OPTIONS too', () => {
    assert.deepEqual(preloads('node -r dd-trace/init --import=tsx --loader ./l.mjs x.js'), [
      'dd-trace',
      'tsx',
      '.',
    ]);
    assert.deepEqual(
      preloads(`NODE_OPTIONS="--require @ai-teams/telemetry/register" node dist/main.js`),
      ['@ai-teams/telemetry'],
    );
    assert.deepEqual(preloads('node --no-warnings=ExperimentalWarning -e 1 dist/main.js'), []);
  });

  // Teams copy an example as a service of their own: what its scripts preload (`--require` /
  // `--import`) must be its own runtime dependency (`npm ci --omit=dev` in an image), not one
  // hoisted from a sibling workspace or the root.
  it('declares every module its npm scripts preload', () => {
    const examples = manifests('examples').filter((m) => m.scripts);
    assert.ok(examples.length >= 3, 'finds the example services');
    const missing: string[] = [];
    for (const m of examples) {
      const declared = new Set(Object.keys(m.dependencies ?? {}));
      for (const script of Object.values(m.scripts as Record<string, string>)) {
        for (const name of preloads(script)) {
          if (!name.startsWith('.') && !isBuiltin(name) && !declared.has(name))
            missing.push(`${m.name}: ${name}`);
        }
      }
    }
    assert.deepEqual(missing, [], 'preloaded by a script, not a dependency');
  });
});

describe('published tarballs', () => {
  const listed = new Map<string, string[]>();
  /** The paths `npm pack` puts in the tarball of the package in `dir`. */
  function packed(dir: string): string[] {
    let files = listed.get(dir);
    if (!files) {
      const [pack] = JSON.parse(
        execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
          cwd: dir,
          encoding: 'utf8',
        }),
      ) as { files: { path: string }[] }[];
      files = pack!.files.map((f) => f.path);
      listed.set(dir, files);
    }
    return files;
  }

  for (const m of manifests('packages').filter((p) => !p.private)) {
    const dir = path.join(root, 'packages', m.name.replace('@ai-teams/', ''));

    it(`${m.name} packs only build output, README, LICENSE and package.json`, () => {
      const files = packed(dir);
      const stray = files.filter(
        (f) => !/^(dist\/.+\.(js|d\.ts|mjs|d\.mts)|README\.md|LICENSE|package\.json)$/.test(f),
      );
      assert.deepEqual(stray, []);
      for (const required of ['README.md', 'LICENSE', 'package.json'])
        assert.ok(files.includes(required), `${m.name} lacks ${required}`);
      assert.ok(
        files.some((f) => f.startsWith('dist/')),
        `${m.name} has no build output: run npm run build`,
      );
    });

    // tsc never deletes what a removed source compiled to, and npm packs whatever dist holds
    // (tracking-id shipped own-layer.js, otel-metrics route-hook.js): the build cleans dist.
    it(`${m.name} packs no build output of a source that no longer exists`, () => {
      const stale = packed(dir)
        .filter((f) => f.startsWith('dist/'))
        .filter((f) => {
          const source = f
            .replace(/^dist\//, 'src/')
            .replace(/(\.d)?\.mts$|\.mjs$/, '.mts')
            .replace(/(\.d)?\.ts$|\.js$/, '.ts');
          return !existsSync(path.join(dir, source));
        });
      assert.deepEqual(stale, [], `${m.name}: run npm run build, which empties dist first`);
    });

    // No map is packed (above), so no packed file may point at one: debuggers and bundlers
    // that follow the comment warn about a missing file.
    it(`${m.name} packs no sourceMappingURL to a file outside the tarball`, () => {
      const files = packed(dir);
      const dangling = files
        .filter((f) => /\.(js|mjs|cjs|d\.ts|d\.mts)$/.test(f))
        .flatMap((f) => {
          const text = readFileSync(path.join(dir, f), 'utf8');
          const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
          if (url === undefined || url.startsWith('data:')) return [];
          const target = path.posix.join(path.posix.dirname(f), url);
          return files.includes(target) ? [] : [`${f} -> ${url}`];
        });
      assert.deepEqual(dangling, []);
    });
  }
});

describe('published entry points', () => {
  for (const m of manifests('packages').filter((p) => !p.private)) {
    it(`${m.name} gives the same named exports to require() and import`, () => {
      const keys = (loader: string, args: string[] = []) =>
        JSON.parse(runNode(root, [...args, '-e', loader])) as string[];
      const cjs = keys(`console.log(JSON.stringify(Object.keys(require('${m.name}')).sort()))`);
      const esm = keys(
        `const m = await import('${m.name}'); console.log(JSON.stringify(Object.keys(m).filter((k) => !['default', 'module.exports', '__esModule'].includes(k)).sort()))`,
        ['--input-type=module'],
      );
      assert.ok(cjs.length > 0, `${m.name} exports nothing`);
      assert.deepEqual(esm, cjs);
    });
  }
});

describe('line endings', () => {
  // Git for Windows converts LF to CRLF at checkout by default (core.autocrlf=true): there,
  // prettier --check (endOfLine lf) failed on every file, and bash read the scripts' \r.
  it('checks every tracked file out with LF, whatever core.autocrlf says', () => {
    const files = execFileSync('git', ['ls-files', '--eol'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    assert.ok(files.length > 100, `git ls-files --eol listed ${files.length} files`);
    const notLf = files.filter((l) => !/\battr\/text=auto eol=lf\s/.test(l));
    assert.deepEqual(notLf, []);
  });
});
