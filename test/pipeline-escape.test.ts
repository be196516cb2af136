/** Escaping attacker-controlled text before it reaches a message (names, previews). */
import { describe, expect, it } from 'vitest';
import { escapeText, previewText } from '../src/model/sanitize.js';
import { unsafeMemberName } from '../src/pipeline/sources.js';

describe('escapeText', () => {
  it('makes C0/C1 controls, DEL, bidi controls and lone surrogates visible; keeps the rest', () => {
    expect(escapeText('plain é€𝄞 text')).toBe('plain é€𝄞 text');
    expect(escapeText('a\u001b[2Jb\r\n\u0007\u007f\u009b')).toBe('a\\x1b[2Jb\\x0d\\x0a\\x07\\x7f\\x9b');
    expect(escapeText('evil\u202egpj.exe\u2066x\u2069')).toBe('evil\\u202egpj.exe\\u2066x\\u2069');
    expect(escapeText('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(escapeText('back\\x1b slash')).toBe('back\\\\x1b slash'); // an escape cannot be forged
  });
  it('previews at most N characters', () => {
    expect(previewText('x'.repeat(100), 10)).toBe('xxxxxxxxxx…');
    expect(previewText('\u001b', 10)).toBe('\\x1b');
  });
});

describe('unsafeMemberName', () => {
  it('refuses absolute paths, .. and control characters; accepts relative names', () => {
    expect(unsafeMemberName('logs/kern.log')).toBeNull();
    expect(unsafeMemberName('a..b/c.log')).toBeNull();
    expect(unsafeMemberName('/etc/passwd')).toBe('absolute path');
    expect(unsafeMemberName('C:\\x.log')).toBe('absolute path');
    expect(unsafeMemberName('a/../../x')).toBe("'..' in the path");
    expect(unsafeMemberName('a\\..\\x')).toBe("'..' in the path");
    expect(unsafeMemberName('x\u001b[31m.log')).toBe('control characters in the name');
  });
});
