/**
 * What the function bundles give mysql2 in place of iconv-lite (infra/lib/function-code.ts aliases
 * it): Node's own encodings, and CESU-8 for the protocol's handshake strings (server version,
 * authentication plugin names) — identical to UTF-8 for every character outside the supplementary
 * planes, which those ASCII names never hold. mysql2 reaches for iconv-lite only for character
 * sets Node's Buffer lacks; every column and connection here is utf8mb4, ascii or binary. So
 * iconv-lite's tables (about 480 KiB of each bundle) stay out.
 */
const UTF8_LIKE = new Set(['cesu8', 'cesu-8']);

function unsupported(encoding: string): never {
  throw new Error(
    `character set ${encoding} is not in the function bundle (Node's own encodings and CESU-8 only): use utf8mb4, ascii or binary`,
  );
}

export function getDecoder(encoding: string): { write(bytes: Buffer): string; end(): string } {
  if (!UTF8_LIKE.has(encoding.toLowerCase())) return unsupported(encoding);
  return { write: (bytes) => bytes.toString('utf8'), end: () => '' };
}

export function getEncoder(encoding: string): { write(text: string): Buffer; end(): Buffer | undefined } {
  if (!UTF8_LIKE.has(encoding.toLowerCase())) return unsupported(encoding);
  return { write: (text) => Buffer.from(text, 'utf8'), end: () => undefined };
}

export function encodingExists(encoding: string): boolean {
  return Buffer.isEncoding(encoding) || UTF8_LIKE.has(encoding.toLowerCase());
}
