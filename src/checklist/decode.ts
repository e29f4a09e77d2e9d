/**
 * A checklist file's bytes as text, never with a silent U+FFFD: UTF-8 (with or without a
 * BOM), UTF-16 with a BOM, and otherwise Windows-1252 — what Windows editors save as "ANSI",
 * and a superset of Latin-1 for the characters checklists use — said so in the repairs.
 */
export interface DecodedText {
  text: string;
  /** How the bytes were read when it was not plain UTF-8, for the import summary. */
  repair?: string;
}

export function decodeChecklist(bytes: Uint8Array): DecodedText {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), repair: 'read as UTF-16 (LE)' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), repair: 'read as UTF-16 (BE)' };
  // UTF-16 without a BOM: ASCII text has a NUL beside every character.
  const sample = bytes.subarray(0, 4096);
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 === 0 ? evenNul++ : oddNul++;
  const half = sample.length / 2;
  if (half >= 8 && oddNul > half * 0.6 && evenNul < half * 0.1)
    return { text: new TextDecoder('utf-16le').decode(bytes), repair: 'read as UTF-16 (LE, no BOM)' };
  if (half >= 8 && evenNul > half * 0.6 && oddNul < half * 0.1)
    return { text: new TextDecoder('utf-16be').decode(bytes), repair: 'read as UTF-16 (BE, no BOM)' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const text = decodeWindows1252(bytes);
    const line = firstInvalidLine(bytes);
    return {
      text,
      repair: `not valid UTF-8 (first at line ${line}): read as Windows-1252 / Latin-1; save the file as UTF-8 to be sure`,
    };
  }
}

/** The 1-based line of the first byte sequence that is not UTF-8. */
function firstInvalidLine(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/** Characters of Windows-1252 at 0x80–0x9F, for undoing UTF-8 read as Windows-1252. */
export const CP1252: Record<string, number> = {
  '€': 0x80,
  '‚': 0x82,
  ƒ: 0x83,
  '„': 0x84,
  '…': 0x85,
  '†': 0x86,
  '‡': 0x87,
  ˆ: 0x88,
  '‰': 0x89,
  Š: 0x8a,
  '‹': 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  '‘': 0x91,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '˜': 0x98,
  '™': 0x99,
  š: 0x9a,
  '›': 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};

const FROM_CP1252 = new Map(Object.entries(CP1252).map(([char, byte]) => [byte, char]));

/** Node's decoder reads 0x80–0x9F as C1 controls (Latin-1); Windows-1252 has “ ” – € there. */
function decodeWindows1252(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += FROM_CP1252.get(byte) ?? String.fromCharCode(byte);
  return text;
}
