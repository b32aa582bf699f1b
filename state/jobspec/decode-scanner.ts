// Syntax check of the first JSON value in a request body, with the error texts of Go's
// encoding/json Decoder (scanner.go state machine + stream.go readValue), because Nomad returns them
// verbatim in 400 answers:
//   - only the first value is read; whatever follows it is never looked at;
//   - input that is empty or only whitespace is `EOF`; a value cut short is `unexpected EOF`;
//   - a bad byte is `invalid character <quoted byte> <context>`, the contexts being the scanner's
//     ("looking for beginning of value", "after object key", "in literal true (expecting 'r')", …).
// The scanner works on bytes like Go's: a non-ASCII byte outside a string is quoted as the Latin-1
// character of that byte value (Go's `strconv.Quote(string(rune(c)))`).

export class GoSyntaxError extends Error {}

const MAX_NESTING_DEPTH = 10000;

// Scanner states (the step functions of scanner.go).
const BEGIN_VALUE = 0;
const BEGIN_VALUE_OR_EMPTY = 1;
const BEGIN_STRING_OR_EMPTY = 2;
const BEGIN_STRING = 3;
const END_VALUE = 4;
const IN_STRING = 5;
const IN_STRING_ESC = 6;
const ESC_U = 7;
const ESC_U1 = 8;
const ESC_U12 = 9;
const ESC_U123 = 10;
const NEG = 11;
const ONE = 12;
const ZERO = 13;
const DOT = 14;
const DOT0 = 15;
const EXP = 16;
const EXP_SIGN = 17;
const EXP0 = 18;
const T = 19;
const TR = 20;
const TRU = 21;
const F = 22;
const FA = 23;
const FAL = 24;
const FALS = 25;
const N = 26;
const NU = 27;
const NUL = 28;

// Parse-stack entries.
const PARSE_OBJECT_KEY = 0;
const PARSE_OBJECT_VALUE = 1;
const PARSE_ARRAY_VALUE = 2;

const isSpace = (c: number): boolean => c === 0x20 || (c <= 0x0d && (c === 0x0a || c === 0x09 || c === 0x0d));
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: the byte as a Go character literal, e.g. `'x'`, `'\n'`, `'\x01'`, `'\u0080'`. */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  switch (c) {
    case 0x07: return "'\\a'";
    case 0x08: return "'\\b'";
    case 0x0c: return "'\\f'";
    case 0x0a: return "'\\n'";
    case 0x0d: return "'\\r'";
    case 0x09: return "'\\t'";
    case 0x0b: return "'\\v'";
    case 0x5c: return "'\\\\'";
  }
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // U+0080–U+009F (C1 controls), U+00A0 (no-break space) and U+00AD (soft hyphen) are not
  // printable for strconv.Quote; the rest of Latin-1 is.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

function fail(c: number, context: string): never {
  throw new GoSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
}

/**
 * Scans the first JSON value of `b` from offset 0. Returns the offset just past the value (trailing
 * bytes are not examined) or throws GoSyntaxError with Go's Decoder message.
 */
export function scanFirstValue(b: Uint8Array): number {
  const end = scanWellFormed(b);
  return end >= 0 ? end : scanStateMachine(b);
}

// The fast path: most bodies are well formed, and a plain recursive-descent check of an object or
// array (no state per byte, no parse stack of numbers) passes them in a fraction of the state
// machine's steps. It accepts only what the state machine accepts and ends where it ends; anything
// else (a bad byte, input cut short, a top-level scalar, deep nesting) is left to the state machine,
// which alone words the errors.
const FAST_MAX_DEPTH = 512;
const fastOpen = new Uint8Array(FAST_MAX_DEPTH);

/** Past the escape at `i` (its backslash) inside a string, or -1. */
function skipEscape(b: Uint8Array, i: number, n: number): number {
  if (i + 1 >= n) return -1;
  const e = b[i + 1]!;
  if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return i + 2;
  if (e !== 0x75 || i + 5 >= n || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
  return i + 6;
}

/** Past the number starting at `i`, or -1 (input that ends in a number is the state machine's). */
function skipNumber(b: Uint8Array, i: number, n: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= n) return -1;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i]!)) while (i < n && isDigit(b[i]!)) i++;
  else return -1;
  if (i < n && b[i] === 0x2e) {
    i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < n && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  return i < n ? i : -1;
}

/** Past the literal `word` (its bytes) at `i`, or -1. */
function skipWord(b: Uint8Array, i: number, n: number, word: readonly number[]): number {
  if (i + word.length > n) return -1;
  for (let k = 1; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length;
}
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/**
 * The end of a well-formed first value that is an object or an array, else -1. One loop with the
 * common bytes (blanks, plain string bytes, brackets, commas, colons) handled in place.
 */
function scanWellFormed(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  let c = 0;
  while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
  if (i >= n || (c !== 0x7b && c !== 0x5b)) return -1;
  let depth = 0;
  // Whether the next string read is an object key (a colon and a value follow it).
  let key = false;
  for (;;) {
    // At the first byte of a value (or of a key, when `key`).
    if (i >= n) return -1;
    c = b[i]!;
    if (c === 0x22) {
      i++;
      for (;;) {
        if (i >= n) return -1;
        c = b[i]!;
        if (c === 0x22) break;
        if (c === 0x5c) {
          i = skipEscape(b, i, n);
          if (i < 0) return -1;
        } else if (c < 0x20) {
          return -1;
        } else {
          i++;
        }
      }
      i++;
      if (key) {
        key = false;
        while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        if (i >= n || c !== 0x3a) return -1;
        i++;
        while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        continue;
      }
    } else if (key) {
      return -1;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === FAST_MAX_DEPTH) return -1;
      fastOpen[depth++] = c;
      i++;
      while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n) return -1;
      // `{` + 2 is `}`, `[` + 2 is `]`: not empty, so a member or element follows.
      if (c !== fastOpen[depth - 1]! + 2) {
        key = fastOpen[depth - 1] === 0x7b;
        continue;
      }
      depth--;
      i++;
    } else if (c === 0x74) {
      i = skipWord(b, i, n, TRUE);
    } else if (c === 0x66) {
      i = skipWord(b, i, n, FALSE);
    } else if (c === 0x6e) {
      i = skipWord(b, i, n, NULL);
    } else {
      i = skipNumber(b, i, n);
    }
    // After a value: a comma and the next member or element, or the containers' closing brackets.
    for (;;) {
      if (i < 0) return -1;
      if (depth === 0) return i;
      while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
      if (i >= n) return -1;
      const open = fastOpen[depth - 1]!;
      if (c === 0x2c) {
        i++;
        while (i < n && ((c = b[i]!) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) i++;
        key = open === 0x7b;
        break;
      }
      if (c !== open + 2) return -1;
      depth--;
      i++;
    }
  }
}

/** The byte-by-byte state machine of Go's scanner: the reference, and the only one to word errors. */
export function scanStateMachine(b: Uint8Array): number {
  const n = b.length;
  const stack: number[] = [];
  let state = BEGIN_VALUE;
  let i = 0;
  for (; i < n; i++) {
    let c = b[i]!;
    // Some states hand the byte on to another state (`return stateEndValue(s, c)` in Go): loop.
    for (;;) {
      switch (state) {
        case BEGIN_VALUE:
          if (isSpace(c)) {
            // Skip a run of whitespace at once.
            do {
              if (++i === n) return eof(b, state, stack.length);
              c = b[i]!;
            } while (isSpace(c));
          }
          switch (c) {
            case 0x7b: // {
              stack.push(PARSE_OBJECT_KEY);
              if (stack.length > MAX_NESTING_DEPTH) fail(c, 'exceeded max depth');
              state = BEGIN_STRING_OR_EMPTY;
              break;
            case 0x5b: // [
              stack.push(PARSE_ARRAY_VALUE);
              if (stack.length > MAX_NESTING_DEPTH) fail(c, 'exceeded max depth');
              state = BEGIN_VALUE_OR_EMPTY;
              break;
            case 0x22:
              state = IN_STRING;
              break;
            case 0x2d:
              state = NEG;
              break;
            case 0x30:
              state = ZERO;
              break;
            case 0x74:
              state = T;
              break;
            case 0x66:
              state = F;
              break;
            case 0x6e:
              state = N;
              break;
            default:
              if (c >= 0x31 && c <= 0x39) state = ONE;
              else fail(c, 'looking for beginning of value');
          }
          break;
        case BEGIN_VALUE_OR_EMPTY:
          if (isSpace(c)) {
            // Skip a run of whitespace at once.
            do {
              if (++i === n) return eof(b, state, stack.length);
              c = b[i]!;
            } while (isSpace(c));
          }
          state = c === 0x5d ? END_VALUE : BEGIN_VALUE;
          continue;
        case BEGIN_STRING_OR_EMPTY:
          if (isSpace(c)) {
            // Skip a run of whitespace at once.
            do {
              if (++i === n) return eof(b, state, stack.length);
              c = b[i]!;
            } while (isSpace(c));
          }
          if (c === 0x7d) {
            stack[stack.length - 1] = PARSE_OBJECT_VALUE;
            state = END_VALUE;
          } else {
            state = BEGIN_STRING;
          }
          continue;
        case BEGIN_STRING:
          if (isSpace(c)) {
            // Skip a run of whitespace at once.
            do {
              if (++i === n) return eof(b, state, stack.length);
              c = b[i]!;
            } while (isSpace(c));
          }
          if (c === 0x22) state = IN_STRING;
          else fail(c, 'looking for beginning of object key string');
          break;
        case END_VALUE: {
          const depth = stack.length;
          if (depth === 0) return i; // a top-level literal ended before this byte
          if (isSpace(c)) {
            // Skip a run of whitespace at once.
            do {
              if (++i === n) return eof(b, state, stack.length);
              c = b[i]!;
            } while (isSpace(c));
          }
          const ps = stack[depth - 1];
          if (ps === PARSE_OBJECT_KEY) {
            if (c !== 0x3a) fail(c, 'after object key');
            stack[depth - 1] = PARSE_OBJECT_VALUE;
            state = BEGIN_VALUE;
          } else if (ps === PARSE_OBJECT_VALUE) {
            if (c === 0x2c) {
              stack[depth - 1] = PARSE_OBJECT_KEY;
              state = BEGIN_STRING;
            } else if (c === 0x7d) {
              stack.pop();
              if (stack.length === 0) return i + 1;
            } else {
              fail(c, 'after object key:value pair');
            }
          } else {
            if (c === 0x2c) {
              state = BEGIN_VALUE;
            } else if (c === 0x5d) {
              stack.pop();
              if (stack.length === 0) return i + 1;
            } else {
              fail(c, 'after array element');
            }
          }
          break;
        }
        case IN_STRING:
          // Fast path through the body of the string.
          while (c !== 0x22 && c !== 0x5c && c >= 0x20) {
            if (++i === n) return eof(b, state, stack.length);
            c = b[i]!;
          }
          if (c === 0x22) state = END_VALUE;
          else if (c === 0x5c) state = IN_STRING_ESC;
          else fail(c, 'in string literal');
          break;
        case IN_STRING_ESC:
          switch (c) {
            case 0x62: case 0x66: case 0x6e: case 0x72: case 0x74: case 0x5c: case 0x2f: case 0x22:
              state = IN_STRING;
              break;
            case 0x75:
              state = ESC_U;
              break;
            default:
              fail(c, 'in string escape code');
          }
          break;
        case ESC_U:
        case ESC_U1:
        case ESC_U12:
        case ESC_U123:
          if (!isHex(c)) fail(c, 'in \\u hexadecimal character escape');
          state = state === ESC_U123 ? IN_STRING : state + 1;
          break;
        case NEG:
          if (c === 0x30) state = ZERO;
          else if (c >= 0x31 && c <= 0x39) state = ONE;
          else fail(c, 'in numeric literal');
          break;
        case ONE:
          while (isDigit(c)) {
            if (++i === n) return eof(b, state, stack.length);
            c = b[i]!;
          }
          state = ZERO;
          continue;
        case ZERO:
          if (c === 0x2e) state = DOT;
          else if (c === 0x65 || c === 0x45) state = EXP;
          else {
            state = END_VALUE;
            continue;
          }
          break;
        case DOT:
          if (isDigit(c)) state = DOT0;
          else fail(c, 'after decimal point in numeric literal');
          break;
        case DOT0:
          if (isDigit(c)) break;
          if (c === 0x65 || c === 0x45) state = EXP;
          else {
            state = END_VALUE;
            continue;
          }
          break;
        case EXP:
          if (c === 0x2b || c === 0x2d) {
            state = EXP_SIGN;
            break;
          }
          state = EXP_SIGN;
          continue;
        case EXP_SIGN:
          if (isDigit(c)) state = EXP0;
          else fail(c, 'in exponent of numeric literal');
          break;
        case EXP0:
          if (isDigit(c)) break;
          state = END_VALUE;
          continue;
        case T:
          if (c !== 0x72) fail(c, "in literal true (expecting 'r')");
          state = TR;
          break;
        case TR:
          if (c !== 0x75) fail(c, "in literal true (expecting 'u')");
          state = TRU;
          break;
        case TRU:
          if (c !== 0x65) fail(c, "in literal true (expecting 'e')");
          state = END_VALUE;
          break;
        case F:
          if (c !== 0x61) fail(c, "in literal false (expecting 'a')");
          state = FA;
          break;
        case FA:
          if (c !== 0x6c) fail(c, "in literal false (expecting 'l')");
          state = FAL;
          break;
        case FAL:
          if (c !== 0x73) fail(c, "in literal false (expecting 's')");
          state = FALS;
          break;
        case FALS:
          if (c !== 0x65) fail(c, "in literal false (expecting 'e')");
          state = END_VALUE;
          break;
        case N:
          if (c !== 0x75) fail(c, "in literal null (expecting 'u')");
          state = NU;
          break;
        case NU:
          if (c !== 0x6c) fail(c, "in literal null (expecting 'l')");
          state = NUL;
          break;
        case NUL:
          if (c !== 0x6c) fail(c, "in literal null (expecting 'l')");
          state = END_VALUE;
          break;
      }
      break;
    }
  }
  return eof(b, state, stack.length);
}

/**
 * End of input before the first value was known to be complete. Go's Decoder then feeds the scanner
 * one space: a top-level literal (number, true, …) completes; anything else is `unexpected EOF` if
 * the input held a non-space byte and `EOF` if it did not.
 */
function eof(b: Uint8Array, state: number, depth: number): number {
  if (depth === 0 && (state === END_VALUE || state === ONE || state === ZERO || state === DOT0 || state === EXP0)) {
    return b.length;
  }
  for (let i = 0; i < b.length; i++) {
    if (!isSpace(b[i]!)) throw new GoSyntaxError('unexpected EOF');
  }
  throw new GoSyntaxError('EOF');
}
