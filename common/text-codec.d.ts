// TextEncoder/TextDecoder exist in every runtime Tapline targets (Node, Chromium, Electron) but
// common/ is compiled without DOM or Node types; declare the small part we use.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
