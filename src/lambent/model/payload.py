"""An Invoke payload as AWS reads it: one JSON value, or AWS's words for why not. Pure.

AWS parses the payload with Jackson (``ObjectMapper.readTree``) and, when that fails, answers
400 ``InvalidRequestContentException`` "Could not parse request body into json: Could not parse
payload into json: " followed by Jackson's own message and location, e.g. ``Unrecognized token
'test': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\\n
at [Source: (byte[])"test data"; line: 1, column: 6]``. This module reproduces Jackson's
``UTF8StreamJsonParser`` for that purpose: the same first error, the same words, the same
1-based byte column (just past the byte that gave it away), and the same acceptance. Like
``readTree``, it reads the first root value only and ignores what follows, except that a root
number must be followed by whitespace; an empty or all-blank payload is no value, not an error.

Only the failure path comes here: ``check`` first tries a fast strict decoder.
"""

from __future__ import annotations

import unicodedata

import msgspec

from lambent.errors import InvalidRequestContentException

PREFIX = "Could not parse request body into json: Could not parse payload into json: "
_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_SNIPPET_BYTES = 500
_TOKEN_CHARS = 256
_BLANK = b" \t\r\n"
_ESCAPES = frozenset(b'"\\/bfnrt')
_HEX = frozenset(b"0123456789abcdefABCDEF")
_NO_COMMENTS = "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)"
_LITERALS = {0x74: "true", 0x66: "false", 0x6E: "null", 0x4E: "NaN", 0x49: "Infinity"}
_decode = msgspec.json.Decoder().decode


def check(payload: bytes) -> None:
    """Refuse *payload* with InvalidRequestContentException, in AWS's words, when Jackson
    cannot read a JSON value from it."""
    try:
        _decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError):
        _Reader(payload).root()


def char_desc(code: int) -> str:
    """Jackson's ``_getCharDesc``: ``'x' (code 120)``, ``(CTRL-CHAR, code 10)``."""
    char = chr(code)
    if unicodedata.category(char) == "Cc":
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{char}' (code {code} / 0x{code:x})"
    return f"'{char}' (code {code})"


def _identifier_start(char: str) -> bool:
    """Java's ``Character.isJavaIdentifierStart``."""
    return unicodedata.category(char) in {"Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Sc", "Pc"}


def _identifier_part(char: str) -> bool:
    """Java's ``Character.isJavaIdentifierPart`` (identifier-ignorable controls included)."""
    code = ord(char)
    if code <= 8 or 0x0E <= code <= 0x1B or 0x7F <= code <= 0x9F:
        return True
    return _identifier_start(char) or unicodedata.category(char) in {"Nd", "Mn", "Mc", "Cf"}


class _Reader:
    """A cursor over the payload that fails as Jackson fails, naming where."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.row = 1
        self.row_start = 0

    # -- locations and failures ---------------------------------------------------------------

    def source(self) -> str:
        shown = self.data[:_SNIPPET_BYTES].decode("utf-8", "replace")
        over = len(self.data) - _SNIPPET_BYTES
        return f'[Source: (byte[])"{shown}"' + (f"[truncated {over} bytes]" if over > 0 else "")

    def location(self, row: int, column: int) -> str:
        return f"{self.source()}; line: {row}, column: {column}]"

    def here(self) -> tuple[int, int]:
        return self.row, self.pos - self.row_start + 1

    def fail(self, message: str) -> InvalidRequestContentException:
        return InvalidRequestContentException(f"{PREFIX}{message}\n at {self.location(*self.here())}")

    def unexpected(self, code: int, comment: str) -> InvalidRequestContentException:
        return self.fail(f"Unexpected character ({char_desc(code)}): {comment}")

    def eof(self, message: str = "") -> InvalidRequestContentException:
        return self.fail(f"Unexpected end-of-input{message}")

    # -- bytes -------------------------------------------------------------------------------

    def next(self) -> int:
        """The next byte, consumed; -1 at the end."""
        if self.pos >= len(self.data):
            return -1
        self.pos += 1
        return self.data[self.pos - 1]

    def peek(self) -> int:
        return self.data[self.pos] if self.pos < len(self.data) else -1

    def skip_blank(self) -> int:
        """The next byte that is not whitespace, consumed (-1 at the end); counts lines."""
        while True:
            byte = self.next()
            if byte == 0x0A or byte == 0x0D:
                if byte == 0x0D and self.peek() == 0x0A:
                    self.pos += 1
                self.row, self.row_start = self.row + 1, self.pos
            elif byte == 0x2F:
                raise self.unexpected(byte, _NO_COMMENTS)
            elif byte not in (0x20, 0x09):
                return byte

    def decode_for_error(self, first: int) -> str:
        """Jackson's ``_decodeCharForError``: the character a byte starts, read as UTF-8."""
        if first < 0x80:
            return chr(first)
        if first & 0xE0 == 0xC0:
            code, needed = first & 0x1F, 1
        elif first & 0xF0 == 0xE0:
            code, needed = first & 0x0F, 2
        elif first & 0xF8 == 0xF0:
            code, needed = first & 0x07, 3
        else:
            raise self.fail(f"Invalid UTF-8 start byte 0x{first:x}")
        for _ in range(needed):
            byte = self.next()
            if byte < 0:
                raise self.eof(" in VALUE_STRING")
            if byte & 0xC0 != 0x80:
                raise self.fail(f"Invalid UTF-8 middle byte 0x{byte:x}")
            code = (code << 6) | (byte & 0x3F)
        return chr(code) if code <= 0x10FFFF else "\ufffd"

    # -- the grammar -------------------------------------------------------------------------

    def root(self) -> None:
        byte = self.skip_blank()
        if byte < 0:
            return
        if byte in (0x5D, 0x7D):  # a close marker with nothing open
            expected = "}" if byte == 0x5D else "]"
            raise self.fail(
                f"Unexpected close marker '{chr(byte)}': expected '{expected}' (for root starting at {self.location(1, 0)})"
            )
        self.value(byte, None, root=True)

    def value(self, byte: int, container: str | None, root: bool = False) -> None:
        if byte == 0x7B:
            self.container("Object")
        elif byte == 0x5B:
            self.container("Array")
        elif byte == 0x22:
            self.string("string value")
        elif byte == 0x2D or 0x30 <= byte <= 0x39:
            self.number(byte, root)
        elif byte in _LITERALS:
            self.literal(_LITERALS[byte])
        elif byte < 0:
            raise self.eof(f" within/between {container} entries" if container else "")
        elif byte in (0x2C, 0x7D) or (byte == 0x5D and container == "Array"):
            raise self.unexpected(byte, "expected a value")
        elif _identifier_start(chr(byte)):
            self.invalid_token(chr(byte))
        else:
            raise self.unexpected(byte, f"expected a valid value {_VALUES}")

    def container(self, kind: str) -> None:
        start_row, start_column = self.row, self.pos - self.row_start
        close, other = (0x7D, 0x5D) if kind == "Object" else (0x5D, 0x7D)
        first = True
        while True:
            byte = self.skip_blank()
            if byte < 0:
                start = self.location(start_row, start_column)
                raise self.eof(f": expected close marker for {kind} (start marker at {start})")
            if byte == close:
                return
            if byte == other:
                start = self.location(start_row, start_column)
                raise self.fail(
                    f"Unexpected close marker '{chr(byte)}': expected '{chr(close)}' (for {kind} starting at {start})"
                )
            if not first:
                if byte != 0x2C:
                    raise self.unexpected(byte, f"was expecting comma to separate {kind} entries")
                byte = self.skip_blank()
            first = False
            if kind == "Object":
                self.field(byte)
                byte = self.skip_blank()
            self.value(byte, kind)

    def field(self, byte: int) -> None:
        """A field name and its colon (the value follows)."""
        if byte < 0:
            raise self.eof(" within/between Object entries")
        if byte != 0x22:
            raise self.unexpected(ord(self.decode_for_error(byte)), "was expecting double-quote to start field name")
        self.string("name")
        byte = self.skip_blank()
        if byte < 0:
            raise self.eof(" within/between Object entries")
        if byte != 0x3A:
            raise self.unexpected(byte, "was expecting a colon to separate field name and value")

    def string(self, what: str) -> None:
        """A string value's UTF-8 is checked byte by byte; a field name's once it is read, as
        Jackson decodes names whole (its errors then point past the closing quote)."""
        wide: list[int] = []
        while True:
            byte = self.next()
            if byte < 0:
                raise self.eof(" in field name" if what == "name" else " in VALUE_STRING")
            if byte == 0x22:
                break
            if byte == 0x5C:
                self.escape(what)
            elif byte < 0x20:
                raise self.fail(
                    f"Illegal unquoted character ({char_desc(byte)}): has to be escaped using backslash to be included in {what}"
                )
            elif byte >= 0x80:
                if what == "name":
                    wide.append(self.pos - 1)
                else:
                    self.decode_for_error(byte)
        if wide:
            self.check_name_utf8(wide[0])

    def check_name_utf8(self, start: int) -> None:
        """The name's bytes from *start* (its first non-ASCII one) to its closing quote."""
        end, self.pos = self.pos, start
        while self.pos < end - 1:
            byte = self.next()
            try:
                if byte >= 0x80:
                    self.decode_for_error(byte)
            except InvalidRequestContentException as refused:
                self.pos = end
                message = refused.message[len(PREFIX) :].split("\n at ", 1)[0]
                raise self.fail(message) from None
        self.pos = end

    def escape(self, what: str) -> None:
        byte = self.next()
        if byte < 0:
            raise self.eof(" in character escape sequence")
        if byte == 0x75:
            for _ in range(4):
                digit = self.next()
                if digit < 0:
                    raise self.eof(" in character escape sequence")
                if digit not in _HEX:
                    raise self.unexpected(digit, "expected a hex-digit for character escape sequence")
        elif byte not in _ESCAPES:
            raise self.fail(f"Unrecognized character escape {char_desc(ord(self.decode_for_error(byte)))}")

    def number(self, byte: int, root: bool) -> None:
        if byte == 0x2D:
            byte = self.next()
            if byte < 0:
                raise self.eof(" in a Number value")
            if not 0x30 <= byte <= 0x39:
                raise self.fail(
                    f"Unexpected character ({char_desc(byte)}) in numeric value: "
                    "expected digit (0-9) to follow minus sign, for valid numeric value"
                )
        if byte == 0x30 and 0x30 <= self.peek() <= 0x39:
            raise self.fail("Invalid numeric value: Leading zeroes not allowed")
        self.digits()
        if self.peek() == 0x2E:
            self.pos += 1
            if not self.digits():
                raise self.number_char(self.peek_or(0x2E), "Decimal point not followed by a digit")
        if self.peek() in (0x65, 0x45):
            self.pos += 1
            if self.peek() in (0x2B, 0x2D):
                self.pos += 1
            if not self.digits():
                raise self.number_char(self.peek_or(self.data[self.pos - 1]), "Exponent indicator not followed by a digit")
        after = self.peek()
        if root and after >= 0:
            self.pos += 1
            if after == 0x0D or after == 0x0A:
                if after == 0x0D and self.peek() == 0x0A:
                    self.pos += 1
                self.row, self.row_start = self.row + 1, self.pos
            elif after not in (0x20, 0x09):
                raise self.unexpected(after, "Expected space separating root-level values")

    def peek_or(self, last: int) -> int:
        """The byte that ended a number part, consumed (the last one read at the end)."""
        byte = self.next()
        return last if byte < 0 else byte

    def number_char(self, byte: int, comment: str) -> InvalidRequestContentException:
        return self.fail(f"Unexpected character ({char_desc(byte)}) in numeric value: {comment}")

    def digits(self) -> int:
        count = 0
        while 0x30 <= self.peek() <= 0x39:
            self.pos += 1
            count += 1
        return count

    def literal(self, word: str) -> None:
        """``true``, ``false``, ``null``; ``NaN`` and ``Infinity``, read to be refused by name."""
        encoded = word.encode()
        for index in range(1, len(encoded)):
            if self.peek() != encoded[index]:
                self.invalid_token(word[:index])
            self.pos += 1
        following = self.peek()
        if following >= 0x30 and following not in (0x5D, 0x7D):
            mark = self.pos
            self.pos += 1
            char = self.decode_for_error(following)
            self.pos = mark
            if _identifier_part(char):
                self.invalid_token(word)
        if word in ("NaN", "Infinity"):
            raise self.fail(f"Non-standard token '{word}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow")

    def invalid_token(self, matched: str) -> None:
        """Jackson's ``_reportInvalidToken``: the token as far as it reads like one."""
        token = matched
        while len(token) < _TOKEN_CHARS:
            byte = self.next()
            if byte < 0:
                break
            char = self.decode_for_error(byte)
            if not _identifier_part(char):
                break
            token += char
        if len(token) == _TOKEN_CHARS:
            token += "..."
        raise self.fail(f"Unrecognized token '{token}': was expecting {_VALUES}")
