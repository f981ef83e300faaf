/** Location of the shared capture corpus: $TAPLINE_CORPUS, else ../shared/corpus next to the repo. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const corpusDir: string = process.env.TAPLINE_CORPUS ?? resolve(repoRoot, '../shared/corpus');

export const corpusAvailable: boolean = existsSync(resolve(corpusDir, 'pcaps')) && existsSync(resolve(corpusDir, 'oracles'));
