/** The iconv-lite stand-in of the function bundles: CESU-8 for the handshake, nothing else. */
import { describe, expect, it } from 'vitest';
import { encodingExists, getDecoder, getEncoder } from '../../../shared/sink/node-encodings.ts';

describe('node-encodings', () => {
  it('reads and writes the handshake strings mysql2 sends as CESU-8', () => {
    const encoded = getEncoder('cesu8').write('mysql_native_password');
    expect(encoded).toEqual(Buffer.from('mysql_native_password'));
    const decoder = getDecoder('cesu8');
    expect(decoder.write(Buffer.from('10.11.19-MariaDB-0+deb12u1')) + decoder.end()).toBe(
      '10.11.19-MariaDB-0+deb12u1',
    );
  });

  it('refuses a character set the bundle does not carry, naming it', () => {
    expect(() => getDecoder('sjis')).toThrow(/character set sjis is not in the function bundle/);
    expect(() => getEncoder('koi8r')).toThrow(/koi8r/);
    expect(encodingExists('utf8')).toBe(true);
    expect(encodingExists('big5')).toBe(false);
  });
});
