import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Who a piece of code belongs to: an npm package (`undici`, `zod`, the AWS SDK as one group), a project folder
 * (`lib/mx`, `functions`), Node's built-ins or V8 itself. Used to read esbuild metafiles and CPU profiles alike.
 */
export function ownerOfPath(path: string): string {
  const packagePath = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  if (packagePath) {
    if (/^@(aws-sdk|smithy|aws-crypto)\//.test(packagePath) || packagePath === 'fast-xml-parser' || packagePath === 'strnum') {
      return 'AWS SDK (@aws-sdk, @smithy, …)';
    }
    if (packagePath.startsWith('@aws-lambda-powertools/')) return '@aws-lambda-powertools/*';
    if (packagePath.startsWith('@middy/')) return '@middy/*';
    return packagePath;
  }
  const project = /(?:^|\/)(functions|lib|infra)\/(?:([^/]+)\/)?/.exec(path.replace(/^(\.\.\/)+/, ''));
  if (project) return project[1] === 'lib' && project[2] ? `project: lib/${project[2]}` : `project: ${project[1]}`;
  return path;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** Microseconds on the monotonic clock (`process.hrtime`'s, in µs). */
  startTime?: number;
}

/** Node's module loader: resolving, reading, lexing and compiling CommonJS files from node_modules. */
const CJS_LOADER =
  /^node:internal\/(modules\/(cjs|package_json_reader|helpers|esm\/(get_format|resolve|translators|load))|deps\/cjs-module-lexer)/;
const LOADER_NATIVES = new Set([
  'internalModuleStat',
  'readFileUtf8',
  'internalModuleReadJSON',
  'lstat',
  'realpathSync',
  'compileFunctionForCJSLoader',
]);

/** The source map beside a bundle (`index.mjs.map`), by the bundle's URL; null for a file without one. */
function sourceMaps(): (url: string) => SourceMap | null {
  const maps = new Map<string, SourceMap | null>();
  return (url) => {
    if (!maps.has(url)) {
      let map: SourceMap | null = null;
      if (url.startsWith('file:') && url.endsWith('.mjs')) {
        try {
          map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
        } catch {
          map = null;
        }
      }
      maps.set(url, map);
    }
    return maps.get(url)!;
  };
}

/**
 * Self time of a V8 CPU profile by owner, in ms. Frames inside a bundle are mapped back through its source map to
 * the original file, so a minified bundle still splits into packages. Node and V8 frames count for the nearest
 * caller with an owner (a require() made by the SDK is the SDK's time); without one, Node's loader importing
 * CommonJS entry points (in a bundle with the SDK external: the SDK's) and the compile of ES modules (the bundle)
 * are lines of their own. A bundle frame the map cannot place is the bundle's top-level code, where esbuild hoists
 * every inlined ES module's top-level statements.
 */
export function profileByOwner(profilePath: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const ownerOfNode = ownersOfNodes(profile);
  const byOwner = new Map<string, number>();
  profile.samples.forEach((nodeId, i) => {
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const owner = ownerOfNode.get(nodeId) ?? 'unknown';
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros / 1000);
  });
  byOwner.delete('V8: (idle)');
  byOwner.delete('V8: (root)');
  return byOwner;
}

/** Each node's owner, as profileByOwner counts its self time. */
export function ownersOfNodes(profile: CpuProfile): Map<number, string> {
  const mapFor = sourceMaps();

  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));

  const ownFrame = (node: ProfileNode): string | undefined => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    if (url === '' || url.startsWith('node:')) return undefined;
    // The `node -e` script that imports the bundle (`[eval1]`, named as a file since Node 24) owns nothing: what runs
    // under it is the import itself (compiling and linking the bundle), labelled below.
    if (/\[eval\d*\]$/.test(url)) return undefined;
    if (mapFor(url)) {
      const entry = mapFor(url)!.findEntry(lineNumber, columnNumber) as { originalSource?: string };
      return entry.originalSource ? ownerOfPath(entry.originalSource) : "bundle's top-level code (hoisted ES modules)";
    }
    return ownerOfPath(url);
  };

  const ancestorOwner = (node: ProfileNode): string | undefined => {
    for (let id = parent.get(node.id); id !== undefined; id = parent.get(id)) {
      const owner = ownFrame(byId.get(id)!);
      if (owner) return owner;
    }
    return undefined;
  };

  const ownerOf = (node: ProfileNode): string => {
    const own = ownFrame(node);
    if (own) return own;
    const { url, functionName } = node.callFrame;
    if (functionName === '(garbage collector)') return 'V8: garbage collection';
    if (url.startsWith('node:internal/deps/undici')) {
      return `Node's built-in undici, loaded lazily (first touched by ${ancestorOwner(node) ?? 'Node'})`;
    }
    // Node and V8 working for the nearest caller with an owner (a require() inside the SDK counts as the SDK).
    const caller = ancestorOwner(node);
    if (caller) return caller;
    if (functionName === 'compileSourceTextModule') return 'V8: compiling ES modules (the bundle)';
    if (CJS_LOADER.test(url) || LOADER_NATIVES.has(functionName))
      return 'Node loader: importing CommonJS entry points from node_modules';
    return url === '' ? `V8: ${functionName || '(anonymous)'}` : 'Node built-ins (other)';
  };

  const ownerOfNode = new Map<number, string>();
  for (const node of profile.nodes) ownerOfNode.set(node.id, ownerOf(node));
  return ownerOfNode;
}

/** Adds `from` into `into`. */
export function addInto(into: Map<string, number>, from: Map<string, number>): void {
  for (const [key, value] of from) into.set(key, (into.get(key) ?? 0) + value);
}

/**
 * Self time of a V8 CPU profile by function, in ms: `name (file:line)` for code with a file, and for V8/Node
 * built-ins (JSON.parse, writev…) `name ← caller (file:line)` with the nearest caller that has a file — so the
 * busiest lines of the project and its packages can be named. Paths are shortened to the project or the package.
 */
export function profileByFunction(profilePath: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const mapFor = sourceMaps();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // A package's file from its package's folder (`undici/lib/core/request.js`), a project file from its top folder.
  const short = (url: string) => {
    const path = url.replace(/^file:\/\//, '');
    const inPackage = /^.*\/node_modules\/(.*)$/.exec(path);
    return inPackage ? inPackage[1]! : path.replace(/^.*?\/?(?:\.\.\/)*((?:lib|functions|infra|bench)\/)/, '$1');
  };
  const frame = (node: ProfileNode) => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    // In a bundle, the minified name says nothing: the original file and line where the function starts (its map's).
    const entry = mapFor(url)?.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number };
    if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      return `function at ${short(entry.originalSource)}:${entry.originalLine + 1}`;
    }
    return `${functionName || '(anonymous)'} (${short(url)}:${lineNumber + 1})`;
  };
  const nameOf = (node: ProfileNode): string => {
    if (node.callFrame.url !== '' && !node.callFrame.url.startsWith('node:')) return frame(node);
    for (let id = parent.get(node.id); id !== undefined; id = parent.get(id)) {
      const caller = byId.get(id)!;
      if (caller.callFrame.url !== '' && !caller.callFrame.url.startsWith('node:')) {
        return `${node.callFrame.functionName || '(anonymous)'} ← ${frame(caller)}`;
      }
    }
    return `${node.callFrame.functionName || '(anonymous)'} (${node.callFrame.url || 'V8'})`;
  };
  const names = new Map<number, string>();
  for (const node of profile.nodes) names.set(node.id, nameOf(node));
  const byFunction = new Map<string, number>();
  profile.samples.forEach((nodeId, i) => {
    const name = names.get(nodeId) ?? 'unknown';
    byFunction.set(name, (byFunction.get(name) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  });
  for (const key of [...byFunction.keys()]) if (/^\((idle|root|program)\) \(V8\)$/.test(key)) byFunction.delete(key);
  return byFunction;
}
