/** `tapline app`: being written (see the Electron shell work). */
export async function appCommand(_args: string[], err: (line: string) => void): Promise<number> {
  err('the app command is not built yet');
  return 1;
}
