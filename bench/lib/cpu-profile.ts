/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): self time per function and per package, over
 * every profile a worker process wrote (its main thread and the SDK's workflow threads).
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  files: string[];
  /** Sampled milliseconds over every thread. */
  totalMs: number;
  topFunctions: Array<{ function: string; where: string; selfMs: number; share: number }>;
  byPackage: Array<{ package: string; selfMs: number; share: number }>;
}

/** Where a script lives, in words: a package name, "conduit/<folder>", "node:internal" or "(native)". */
function packageOf(url: string): string {
  if (!url) return '(native / idle / GC)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (built-ins)';
  // Workflow code runs from the bundle the harness wrote (Conduit's workflows + the SDK's workflow runtime).
  if (/workflow-bundle\.js$/.test(url) || url.startsWith('evalmachine')) return 'workflow bundle (in the SDK sandbox)';
  const root = path.resolve(__dirname, '../..');
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(root)) return `conduit/${path.relative(root, file).split(path.sep)[0]}`;
  return url.length > 60 ? `…${url.slice(-60)}` : url;
}

/** Reads every .cpuprofile in `dir` and returns the top `limit` functions by self time. */
export function summariseProfiles(dir: string, limit = 15): ProfileSummary {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)) : [];
  const byFunction = new Map<string, { function: string; where: string; selfMs: number }>();
  const byPackage = new Map<string, number>();
  let totalMs = 0;
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const node = nodes.get(id);
      if (!node || ms <= 0) return;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(program)') return;
      totalMs += ms;
      const name = functionName || '(anonymous)';
      const where = url ? `${packageOf(url)}${url.includes('node_modules') || !url.startsWith('file://') ? '' : `:${lineNumber + 1}`} ${path.basename(url)}:${lineNumber + 1}` : '(native)';
      const key = `${name}@${where}`;
      const entry = byFunction.get(key) ?? { function: name, where, selfMs: 0 };
      entry.selfMs += ms;
      byFunction.set(key, entry);
      const pkg = packageOf(url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    });
  }
  const share = (ms: number) => Math.round((ms / Math.max(1, totalMs)) * 1000) / 10;
  return {
    files: files.map((f) => path.basename(f)),
    totalMs: Math.round(totalMs),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, limit)
      .map((f) => ({ ...f, selfMs: Math.round(f.selfMs), share: share(f.selfMs) })),
    byPackage: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([p, ms]) => ({ package: p, selfMs: Math.round(ms), share: share(ms) })),
  };
}
