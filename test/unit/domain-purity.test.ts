// Workflow code imports domain/, so it must stay deterministic: no I/O, no clock, no randomness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const domainDir = join(__dirname, '../../domain');
const files = readdirSync(domainDir).filter((f) => f.endsWith('.ts'));
const source = (f: string): string => readFileSync(join(domainDir, f), 'utf8');
const code = (f: string): string => source(f).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

test('domain modules import only each other', () => {
  for (const f of files) {
    for (const m of code(f).matchAll(/\bfrom\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]/g)) {
      const target = m[1] ?? m[2] ?? '';
      assert.ok(target.startsWith('./'), `${f} imports ${target}`);
    }
  }
});

test('domain modules never read the clock, randomness or the process', () => {
  const forbidden: [RegExp, string][] = [
    [/Date\.now\s*\(/, 'Date.now()'],
    [/new\s+Date\s*\(\s*\)/, 'new Date() without an argument'],
    [/Math\.random/, 'Math.random'],
    [/\bprocess\./, 'process'],
    [/\b(setTimeout|setInterval|setImmediate)\s*\(/, 'timers'],
    [/\bperformance\./, 'performance'],
    [/\bfetch\s*\(/, 'fetch'],
  ];
  for (const f of files) for (const [re, what] of forbidden) assert.ok(!re.test(code(f)), `${f} uses ${what}`);
});

test('every exported symbol has a doc comment', () => {
  for (const f of files) {
    const lines = source(f).split('\n');
    lines.forEach((line, i) => {
      if (!/^export (function|const|type|class|interface|let)\b/.test(line)) return;
      assert.ok((lines[i - 1] ?? '').trim().endsWith('*/'), `${f}:${i + 1} ${line.slice(0, 60)} has no doc comment`);
    });
  }
});
