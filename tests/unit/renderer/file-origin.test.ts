import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileOriginLines } from '../../../renderer/src/payload/file-origin.js';

const mail = { from: 'Alice <alice@example.org>', to: ['bob@example.org'], cc: [], subject: 'Q3 figures', messageId: null, date: null, envelopeFrom: 'alice@example.org', envelopeTo: ['bob@example.org'] };

describe('where a carved file came from (files tables)', () => {
  it('shows the URL of an HTTP/FTP/TFTP file, else its host, and nothing when neither is known', () => {
    assert.deepEqual(fileOriginLines({ url: 'http://h/x.pdf', host: 'h', email: null }), ['http://h/x.pdf']);
    assert.deepEqual(fileOriginLines({ url: null, host: 'h', email: null }), ['h']);
    assert.deepEqual(fileOriginLines({ url: null, host: null, email: null }), []);
  });

  it('shows a mail\'s sender, recipients and subject', () => {
    assert.deepEqual(fileOriginLines({ url: null, host: null, email: mail }), ['Alice <alice@example.org> → bob@example.org', 'Subject: Q3 figures']);
  });

  it('falls back to the SMTP envelope when the headers name nobody, and caps long recipient lists', () => {
    const e = { ...mail, from: null, to: [], subject: null, envelopeTo: ['a@x', 'b@x', 'c@x', 'd@x', 'e@x'] };
    assert.deepEqual(fileOriginLines({ url: null, host: null, email: e }), ['alice@example.org → a@x, b@x, c@x and 2 more']);
  });
});
