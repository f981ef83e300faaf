/** `tapline follow`: being written (reassembly work). */
export async function followCommand(_args: string[], err: (line: string) => void): Promise<number> {
  err('follow is not built yet');
  return 1;
}
