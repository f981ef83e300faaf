/** "Import" in the top bar: a file picker for one or many captures. */
import { useRef } from 'react';
import { useImports } from '../app/services-context.js';
import { IconUpload } from '../ui/icons.js';

/** What the picker offers first; any file can still be chosen (the back end recognises formats by content). */
export const CAPTURE_ACCEPT = '.pcap,.pcapng,.cap,.dmp,.pcap.gz,.pcapng.gz,.gz,application/vnd.tcpdump.pcap';

export function ImportButton() {
  const input = useRef<HTMLInputElement>(null);
  const importFiles = useImports((s) => s.importFiles);
  return (
    <>
      <button type="button" className="btn btn-primary" onClick={() => input.current?.click()} title="Import capture files (or drop them anywhere on the window)">
        <IconUpload />
        <span>Import</span>
      </button>
      <input
        ref={input}
        id="import-input"
        className="visually-hidden"
        type="file"
        multiple
        accept={CAPTURE_ACCEPT}
        aria-label="Import capture files"
        tabIndex={-1}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = ''; // the same file can be picked again later
          void importFiles(files);
        }}
      />
    </>
  );
}
