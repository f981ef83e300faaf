#!/usr/bin/env node
// Validates package.json's "build" section (the electron-builder configuration) offline, without
// downloading Electron or packaging anything: electron-builder's own JSON-schema validation
// (app-builder-lib's validateConfiguration, the check `electron-builder` runs first), plus the
// files the configuration points to. Exit 1 with the problems listed when anything is wrong.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(join(root, 'package.json'));

/** Returns a list of problems (empty when the configuration is valid). */
export async function validateBuilderConfig(pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))) {
  const problems = [];
  const config = pkg.build;
  if (!config || typeof config !== 'object') return ['package.json has no "build" section'];
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
  const { DebugLogger } = require('builder-util');
  try {
    // ajv may coerce values in place: validate a copy
    await validateConfiguration(structuredClone(config), new DebugLogger(false));
  } catch (e) {
    problems.push(e.message);
  }
  if (typeof pkg.main !== 'string') problems.push('package.json "main" must name the Electron entry');
  if (!pkg.devDependencies?.electron) problems.push('electron must be a devDependency (electron-builder refuses it in dependencies)');
  if (pkg.dependencies?.electron) problems.push('electron must not be in dependencies');

  const scripts = [config.deb?.afterInstall, config.deb?.afterRemove, config.rpm?.afterInstall, config.rpm?.afterRemove].filter(Boolean);
  for (const s of scripts) {
    const p = join(root, s);
    if (!existsSync(p)) problems.push(`${s} is missing`);
    else {
      const text = readFileSync(p, 'utf8');
      // electron-builder substitutes ${name} macros and fails on unknown ones
      const unknown = [...text.matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]).filter((m) => m !== 'executable' && m !== 'sanitizedProductName' && m !== 'productFilename');
      if (unknown.length) problems.push(`${s} uses \${${unknown[0]}}, which electron-builder would treat as an undefined macro`);
      if (!(statSync(p).mode & 0o100)) problems.push(`${s} is not executable`);
    }
  }
  for (const key of ['entitlements', 'entitlementsInherit']) {
    const f = config.mac?.[key];
    if (f && !existsSync(join(root, f))) problems.push(`mac.${key} ${f} is missing`);
  }
  return problems;
}

/** What packaging deb/rpm will additionally need (electron-builder checks these only then). */
export function packagingNotes(pkg) {
  const notes = [];
  if (!pkg.homepage && !pkg.repository) notes.push('deb/rpm: electron-builder requires package.json "homepage" (or a GitHub "repository") for the package URL');
  return notes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const problems = await validateBuilderConfig(pkg);
  for (const n of packagingNotes(pkg)) process.stderr.write(`note: ${n}\n`);
  if (problems.length) {
    for (const p of problems) process.stderr.write(`electron-builder configuration: ${p}\n`);
    process.exit(1);
  }
  process.stdout.write('electron-builder configuration is valid\n');
}
