import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

/** monitoring/ */
export const MONITORING = resolve(__dirname, '..');
/** the repository root */
export const ROOT = resolve(MONITORING, '..');

export const at = (...parts: string[]): string => join(MONITORING, ...parts);
export const text = (...parts: string[]): string => readFileSync(at(...parts), 'utf8');
export const yamlFile = (...parts: string[]): any => parse(text(...parts));
