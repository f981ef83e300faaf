/** `tapline serve`: being written (see the serve-mode work); placeholder removed when it lands. */
export async function serveCommand(_args: string[], err: (line: string) => void): Promise<number> {
  err('serve mode is not built yet');
  return 1;
}
