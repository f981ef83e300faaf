/**
 * classification.config: `config classification: shortname,description,priority` lines giving a
 * classtype its default priority. Environment-free.
 */

export interface ClassType {
  name: string;
  description: string;
  priority: number;
}

export function parseClassification(text: string): Map<string, ClassType> {
  const out = new Map<string, ClassType>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*config\s+classification\s*:\s*([^,]+),([^,]*),\s*(\d{1,3})\s*$/.exec(line);
    if (!m) continue;
    const name = m[1].trim();
    out.set(name, { name, description: m[2].trim(), priority: Number(m[3]) });
  }
  return out;
}
