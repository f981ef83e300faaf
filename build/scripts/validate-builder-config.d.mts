/** Types for validate-builder-config.mjs (used by the tests). */
export function validateBuilderConfig(pkg?: unknown): Promise<string[]>;
export function packagingNotes(pkg: unknown): string[];
