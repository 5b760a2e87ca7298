#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fwabi: one schema for every version of a firmware ABI.

Reads a schema (see the "Schema" section below) and writes, for the prefix
PREFIX and each version VER (dots and dashes turned into underscores):

  PREFIX_vVER.h        the structs of that version, with explicit padding,
                       a _Static_assert on every field offset and struct
                       size, its constants, enums and version code;
  PREFIX_abi.h         version-independent ids of structs, fields and
                       constants, the version codes, the lookup function;
  PREFIX_abi.c         the layout tables (struct fwabi_version, fwabi.h);
  PREFIX_layout.md     the layout report, field x version, changes in bold;
  PREFIX_layout.json   the same, for programs.

Usage:
  fwabi.py SCHEMA --outdir DIR [--expect-outputs FILE...]
  fwabi.py SCHEMA --report-dir DIR          (only the two report files)
  fwabi.py SCHEMA --check-report REPORT.md REPORT.json
      exit status 1 and a unified diff when the committed report differs
      from the one the schema gives.

Schema (line based; '#' starts a comment; indentation is free):

  prefix simgpu_fw
  versions 1.0 1.1 2.0-rc1 2.0      strictly ascending; MAJOR.MINOR[.PATCH]
                                    [-PRERELEASE], a pre-release sorts before
                                    its release, pre-releases in natural order
  const u32 NAME = VALUE [RANGE]    u32 or u64; may be repeated with
                                    disjoint ranges
  enum NAME [RANGE]
      VALUE_NAME = VALUE [RANGE]
  end
  struct NAME [RANGE]
      TYPE FIELD[COUNT] [RANGE] [@OFFSET]
      pad BYTES [RANGE]
      size BYTES [RANGE]            declared struct size (checked)
  end

  TYPE is u8 u16 u32 u64 i8 i16 i32 i64 or a struct declared earlier.
  RANGE is a half-open version range [SINCE, UNTIL): either end may be
  left empty ("[1.1,)", "[, 2.0)"); without a range, every version.
  A field name may be repeated with disjoint ranges (e.g. a field widened
  from u32 to u64): it keeps one field id.

Layout rules, checked in every version: fields are laid out in order and
the generator never pads. A field must sit at its natural alignment right
after the previous one; the bytes a C compiler would insert to align it (or
at the end of the struct, up to its alignment) are an "undeclared hole"
unless a 'pad' covers them. A declared offset (@) pins a field:
  - not a multiple of the field's alignment: "misaligned field";
  - below the end of the previous field: the field "overlaps" it (e.g. a
    field inserted before a pinned one);
  - above it: "declared offset ... disagrees with its computed offset".
A declared size smaller than the fields "overlaps the end of struct"; a
larger one leaves an undeclared hole at the end.

Version code: major << 24 | minor << 16 | patch << 8 | pre, pre = 0xff for
a release, else the 1-based position of the pre-release among the listed
pre-releases of the same major.minor.patch.

Every error names the schema file and line, as FILE:LINE: error: TEXT.
Only the Python 3 standard library is used.
"""

import argparse
import difflib
import json
import os
import re
import sys

GENERATOR = "tools/fwabi/fwabi.py"

SCALARS = {
    "u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False),
    "i8": (1, True), "i16": (2, True), "i32": (4, True), "i64": (8, True),
}
C_SCALAR = {
    "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "i8": "int8_t", "i16": "int16_t", "i32": "int32_t", "i64": "int64_t",
}
RESERVED = {"pad", "size", "end", "struct", "enum", "const", "prefix",
            "versions"} | set(SCALARS)
C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do",
    "double", "else", "enum", "extern", "float", "for", "goto", "if",
    "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "bool", "true", "false",
}

IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VERSION_RE = re.compile(
    r"^(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?$")
FIELD_NAME_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?$")


class SchemaError(Exception):
    pass


class Errors:
    """Collects FILE:LINE: error: messages."""

    def __init__(self, path):
        self.path = path
        self.messages = []

    def add(self, line, text):
        message = "%s:%d: error: %s" % (self.path, line, text)
        if message not in self.messages:
            self.messages.append(message)

    def __bool__(self):
        return bool(self.messages)


# --------------------------------------------------------------------------
# Versions and ranges


class Version:
    def __init__(self, name, index, major, minor, patch, pre):
        self.name = name
        self.index = index
        self.major, self.minor, self.patch = major, minor, patch
        self.pre = pre  # pre-release token or None
        self.code = 0
        self.ident = name.replace(".", "_").replace("-", "_")

    def sort_key(self):
        # A release sorts after its pre-releases; pre-releases in natural
        # order (rc2 < rc10).
        if self.pre is None:
            pre_key = (1, ())
        else:
            parts = re.findall(r"\d+|[^\d]+", self.pre)
            pre_key = (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                                for p in parts))
        return (self.major, self.minor, self.patch, pre_key)


def parse_version(text):
    m = VERSION_RE.match(text)
    if not m:
        return None
    major, minor = int(m.group(1)), int(m.group(2))
    patch = int(m.group(3)) if m.group(3) is not None else 0
    if major > 255 or minor > 255 or patch > 255:
        return None
    return (major, minor, patch, m.group(4))


class Range:
    """A half-open version range [since, until) as a set of indices."""

    def __init__(self, text, indices):
        self.text = text
        self.indices = indices  # frozenset of version indices

    def overlaps(self, other):
        return bool(self.indices & other.indices)

    def __contains__(self, index):
        return index in self.indices


def format_versions(schema, indices):
    names = [schema.versions[i].name for i in sorted(indices)]
    if len(names) == 1:
        return "version " + names[0]
    return "versions " + ", ".join(names)


# --------------------------------------------------------------------------
# Schema objects


class Item:
    """A field or a pad of a struct."""

    def __init__(self, line, kind, name, type_name, count, rng, offset):
        self.line = line
        self.kind = kind  # "field" or "pad"
        self.name = name
        self.type_name = type_name
        self.count = count  # elements (fields) or bytes (pads)
        self.range = rng
        self.offset = offset  # declared offset or None


class Struct:
    def __init__(self, line, name, rng):
        self.line = line
        self.end_line = line
        self.name = name
        self.range = rng
        self.items = []
        self.sizes = []  # (line, size, range)
        self.field_names = []  # distinct, in order of first appearance
        # Per version index: None (absent), or dict with size, align, and
        # the placed items [(item, offset)].
        self.layouts = {}


class Const:
    def __init__(self, line, name, type_name, value, text, rng, enum=None):
        self.line = line
        self.name = name
        self.type_name = type_name
        self.value = value
        self.text = text  # the value as written, for the headers
        self.range = rng
        self.enum = enum


class Enum:
    def __init__(self, line, name, rng):
        self.line = line
        self.name = name
        self.range = rng
        self.values = []


class Schema:
    def __init__(self, path):
        self.path = path
        self.prefix = None
        self.versions = []
        self.structs = []
        self.consts = []  # Const, in order (enum values included)
        self.enums = []
        self.const_names = []  # distinct, in order


# --------------------------------------------------------------------------
# Parser


def parse_int(text):
    try:
        if re.match(r"^0[xX][0-9a-fA-F]+$", text):
            return int(text, 16)
        if re.match(r"^[0-9]+$", text):
            return int(text, 10)
    except ValueError:
        pass
    return None


class Parser:
    def __init__(self, path, text):
        self.schema = Schema(path)
        self.errors = Errors(path)
        self.lines = text.split("\n")
        self.struct = None
        self.enum = None

    def error(self, line, text):
        self.errors.add(line, text)

    def parse_range(self, line, text):
        """Parses '[since, until)'; returns a Range or None after an error."""
        schema = self.schema
        m = re.match(r"^\[\s*([^,\s\])]*)\s*,\s*([^,\s\])]*)\s*\)$", text)
        if not m:
            self.error(line, "bad version range '%s': expected [SINCE, UNTIL)"
                       " with either end optional" % text)
            return None
        bounds = []
        for name in (m.group(1), m.group(2)):
            if name == "":
                bounds.append(None)
                continue
            version = next((v for v in schema.versions if v.name == name),
                           None)
            if version is None:
                self.error(line, "unknown version '%s' in range '%s' "
                           "(versions: %s)" % (name, text, " ".join(
                               v.name for v in schema.versions)))
                return None
            bounds.append(version.index)
        since = 0 if bounds[0] is None else bounds[0]
        until = len(schema.versions) if bounds[1] is None else bounds[1]
        if bounds[0] is not None and bounds[1] is not None:
            if since == until:
                self.error(line, "empty version range '%s'" % text)
                return None
            if since > until:
                self.error(line, "inverted version range '%s': %s comes "
                           "after %s" % (text, m.group(1), m.group(2)))
                return None
        return Range(text, frozenset(range(since, until)))

    def split_tail(self, line, tail, allow_offset):
        """Splits the optional '[range]' and '@offset' after a definition.

        Returns (range or None for 'every version', offset or None, ok).
        """
        rng = None
        offset = None
        ok = True
        rest = tail.strip()
        while rest:
            if rest[0] in "[(":
                m = re.match(r"^[\[(][^\])]*[\])]", rest)
                text = m.group(0) if m else rest
                rest = rest[len(text):].strip()
                if rng is not None:
                    self.error(line, "more than one version range")
                    ok = False
                    continue
                rng = self.parse_range(line, text)
                if rng is None:
                    ok = False
            elif rest[0] == "@" and allow_offset:
                m = re.match(r"^@(\S*)", rest)
                rest = rest[len(m.group(0)):].strip()
                value = parse_int(m.group(1))
                if value is None:
                    self.error(line, "bad offset '@%s'" % m.group(1))
                    ok = False
                else:
                    offset = value
            else:
                word = rest.split()[0]
                self.error(line, "unexpected '%s'" % word)
                return None, None, False
        if rng is None and ok:
            rng = Range("", frozenset(range(len(self.schema.versions))))
        return rng, offset, ok

    def check_ident(self, line, name, what):
        if not IDENT_RE.match(name):
            self.error(line, "bad %s name '%s'" % (what, name))
            return False
        if name in RESERVED or name in C_KEYWORDS:
            self.error(line, "%s name '%s' is a reserved word" % (what, name))
            return False
        return True

    def need_versions(self, line):
        if not self.schema.versions:
            self.error(line, "'versions' must come before any definition")
            return False
        if self.schema.prefix is None:
            self.error(line, "'prefix' must come before any definition")
            return False
        return True

    def parse(self):
        for number, raw in enumerate(self.lines, 1):
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            words = text.split()
            keyword = words[0]
            if self.struct is not None:
                self.parse_struct_line(number, text, words)
            elif self.enum is not None:
                self.parse_enum_line(number, text, words)
            elif keyword == "prefix":
                self.parse_prefix(number, words)
            elif keyword == "versions":
                self.parse_versions(number, words)
            elif keyword == "const":
                self.parse_const(number, text)
            elif keyword == "enum":
                self.parse_block_start(number, text, "enum")
            elif keyword == "struct":
                self.parse_block_start(number, text, "struct")
            else:
                self.error(number, "unexpected '%s': expected prefix, "
                           "versions, const, enum or struct" % keyword)
        if self.struct is not None:
            self.error(self.struct.line, "struct '%s' has no 'end'" %
                       self.struct.name)
        if self.enum is not None:
            self.error(self.enum.line, "enum '%s' has no 'end'" %
                       self.enum.name)
        if self.schema.prefix is None and not self.errors:
            self.error(1, "no 'prefix' line")
        if not self.schema.versions and not self.errors:
            self.error(1, "no 'versions' line")
        return self.schema

    def parse_prefix(self, line, words):
        if len(words) != 2 or not IDENT_RE.match(words[1]):
            self.error(line, "expected 'prefix NAME'")
            return
        if self.schema.prefix is not None:
            self.error(line, "second 'prefix' line")
            return
        self.schema.prefix = words[1]

    def parse_versions(self, line, words):
        schema = self.schema
        if schema.versions:
            self.error(line, "second 'versions' line")
            return
        if len(words) < 2:
            self.error(line, "expected 'versions V1 V2 ...'")
            return
        versions = []
        for name in words[1:]:
            parsed = parse_version(name)
            if parsed is None:
                self.error(line, "bad version '%s': expected MAJOR.MINOR"
                           "[.PATCH][-PRERELEASE], numbers up to 255" % name)
                return
            versions.append(Version(name, len(versions), *parsed))
        for prev, cur in zip(versions, versions[1:]):
            if cur.sort_key() <= prev.sort_key():
                self.error(line, "versions are not strictly ascending: "
                           "'%s' comes after '%s'" % (cur.name, prev.name))
                return
        for version in versions:
            if version.pre is None:
                version.code = (version.major << 24 | version.minor << 16 |
                                version.patch << 8 | 0xff)
                continue
            same = [v for v in versions if v.pre is not None and
                    (v.major, v.minor, v.patch) ==
                    (version.major, version.minor, version.patch)]
            position = same.index(version) + 1
            if position >= 0xff:
                self.error(line, "too many pre-releases of %d.%d.%d" %
                           (version.major, version.minor, version.patch))
                return
            version.code = (version.major << 24 | version.minor << 16 |
                            version.patch << 8 | position)
        schema.versions = versions

    def add_const(self, const):
        schema = self.schema
        for other in schema.consts:
            if other.name == const.name and other.range.overlaps(const.range):
                self.error(const.line, "'%s' is already defined at line %d "
                           "for an overlapping version range" %
                           (const.name, other.line))
                return
        schema.consts.append(const)
        if const.name not in schema.const_names:
            schema.const_names.append(const.name)

    def parse_value_def(self, line, text):
        """'NAME = VALUE [range]' -> (name, value, value text, range)."""
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)(.*)$", text)
        if not m:
            self.error(line, "expected 'NAME = VALUE [RANGE]'")
            return None
        name, value_text, tail = m.groups()
        if not self.check_ident(line, name, "constant"):
            return None
        value = parse_int(value_text)
        if value is None:
            self.error(line, "bad value '%s'" % value_text)
            return None
        rng, _, ok = self.split_tail(line, tail, False)
        if not ok:
            return None
        return name, value, value_text, rng

    def parse_const(self, line, text):
        if not self.need_versions(line):
            return
        m = re.match(r"^const\s+(\S+)\s+(.*)$", text)
        if not m:
            self.error(line, "expected 'const TYPE NAME = VALUE [RANGE]'")
            return
        type_name = m.group(1)
        if type_name not in ("u32", "u64"):
            self.error(line, "unknown type '%s' for a constant: expected u32 "
                       "or u64" % type_name)
            return
        parsed = self.parse_value_def(line, m.group(2))
        if parsed is None:
            return
        name, value, value_text, rng = parsed
        if value >= 1 << SCALARS[type_name][0] * 8:
            self.error(line, "value %s of '%s' does not fit in %s" %
                       (value_text, name, type_name))
            return
        self.add_const(Const(line, name, type_name, value, value_text, rng))

    def parse_block_start(self, line, text, kind):
        if not self.need_versions(line):
            return
        m = re.match(r"^%s\s+(\S+)(.*)$" % kind, text)
        if not m:
            self.error(line, "expected '%s NAME [RANGE]'" % kind)
            return
        name, tail = m.groups()
        rng, _, ok = self.split_tail(line, tail, False)
        if not self.check_ident(line, name, kind) or not ok:
            # Parse the body anyway, to report its own errors.
            rng = rng or Range("", frozenset())
        block = Struct(line, name, rng) if kind == "struct" else \
            Enum(line, name, rng)
        existing = self.schema.structs if kind == "struct" else \
            self.schema.enums
        for other in existing:
            if other.name == name:
                self.error(line, "%s '%s' is already defined at line %d" %
                           (kind, name, other.line))
        block.errors_before = len(self.errors.messages)
        if kind == "struct":
            self.struct = block
            self.schema.structs.append(block)
        else:
            self.enum = block
            self.schema.enums.append(block)

    def parse_enum_line(self, line, text, words):
        enum = self.enum
        if words[0] == "end" and len(words) == 1:
            if not enum.values and \
                    len(self.errors.messages) == enum.errors_before:
                self.error(line, "enum '%s' has no values" % enum.name)
            self.enum = None
            return
        parsed = self.parse_value_def(line, text)
        if parsed is None:
            return
        name, value, value_text, rng = parsed
        if value > 0x7fffffff:
            self.error(line, "value %s of '%s' does not fit in a C enum "
                       "(at most 0x7fffffff)" % (value_text, name))
            return
        rng = Range(rng.text, rng.indices & enum.range.indices)
        const = Const(line, name, "u32", value, value_text, rng, enum)
        enum.values.append(const)
        self.add_const(const)

    def parse_struct_line(self, line, text, words):
        struct = self.struct
        keyword = words[0]
        if keyword == "end" and len(words) == 1:
            struct.end_line = line
            if not struct.items and \
                    len(self.errors.messages) == struct.errors_before:
                self.error(line, "struct '%s' has no fields" % struct.name)
            self.struct = None
            return
        if keyword in ("pad", "size"):
            m = re.match(r"^%s\s+(\S+)(.*)$" % keyword, text)
            value = parse_int(m.group(1)) if m else None
            if value is None or value == 0:
                self.error(line, "expected '%s BYTES [RANGE]' with BYTES > 0"
                           % keyword)
                return
            rng, _, ok = self.split_tail(line, m.group(2), False)
            if not ok:
                return
            if keyword == "pad":
                struct.items.append(Item(line, "pad", None, None, value, rng,
                                         None))
                return
            for other_line, _, other in struct.sizes:
                if other.overlaps(rng):
                    self.error(line, "size of struct '%s' is already declared"
                               " at line %d for an overlapping version range"
                               % (struct.name, other_line))
                    return
            struct.sizes.append((line, value, rng))
            return
        m = re.match(r"^(\S+)\s+(\S+)(.*)$", text)
        if not m:
            self.error(line, "expected 'TYPE NAME[COUNT] [RANGE] [@OFFSET]'")
            return
        type_name, name_text, tail = m.groups()
        nm = FIELD_NAME_RE.match(name_text)
        if not nm:
            self.error(line, "bad field name '%s'" % name_text)
            return
        name, count_text = nm.groups()
        if not self.check_ident(line, name, "field"):
            return
        count = 1
        if count_text is not None:
            count = parse_int(count_text.strip())
            if count is None or count == 0:
                self.error(line, "bad array count '[%s]' of field '%s'" %
                           (count_text, name))
                return
        if type_name not in SCALARS and not any(
                s.name == type_name for s in self.schema.structs
                if s is not struct):
            self.error(line, "unknown type '%s' of field '%s'" %
                       (type_name, name))
            return
        rng, offset, ok = self.split_tail(line, tail, True)
        if not ok:
            return
        for other in struct.items:
            if other.kind == "field" and other.name == name and \
                    other.range.overlaps(rng):
                self.error(line, "field '%s' is already defined at line %d "
                           "for an overlapping version range (%s)" % (
                               name, other.line, format_versions(
                                   self.schema,
                                   other.range.indices & rng.indices)))
                return
        struct.items.append(Item(line, "field", name, type_name, count, rng,
                                 offset))
        if name not in struct.field_names:
            struct.field_names.append(name)


# --------------------------------------------------------------------------
# Layout


def type_desc(item):
    desc = item.type_name if item.type_name in SCALARS else \
        "struct " + item.type_name
    if item.count != 1:
        desc += "[%d]" % item.count
    return desc


def layout(schema, errors):
    """Computes every struct's layout in every version, checking it."""
    by_name = {s.name: s for s in schema.structs}
    for struct in schema.structs:
        # Problems found per version, merged across versions that share
        # them: (line, text) -> set of version indices.
        problems = {}

        def problem(line, text, index):
            problems.setdefault((line, text), set()).add(index)

        for version in schema.versions:
            index = version.index
            struct.layouts[index] = None
            if index not in struct.range:
                continue
            placed = []
            cursor = 0
            align = 1
            prev = None
            ok = True
            for item in struct.items:
                if index not in item.range:
                    continue
                if item.kind == "pad":
                    placed.append((item, cursor))
                    prev = (item, cursor, cursor + item.count)
                    cursor += item.count
                    continue
                if item.type_name in SCALARS:
                    elem_size = elem_align = SCALARS[item.type_name][0]
                else:
                    inner = by_name[item.type_name].layouts.get(index)
                    if inner is None:
                        problem(item.line, "field '%s' has type struct '%s', "
                                "which does not exist (or is broken)" %
                                (item.name, item.type_name), index)
                        ok = False
                        break
                    elem_size, elem_align = inner["size"], inner["align"]
                natural = -(-cursor // elem_align) * elem_align
                declared = item.offset
                if declared is not None and declared % elem_align:
                    problem(item.line, "misaligned field '%s': declared "
                            "offset 0x%x is not a multiple of its %d-byte "
                            "alignment (%s)" % (item.name, declared,
                                                elem_align, type_desc(item)),
                            index)
                    ok = False
                    break
                if declared is not None and declared < cursor:
                    what = "pad" if prev[0].kind == "pad" else \
                        "field '%s'" % prev[0].name
                    problem(item.line, "field '%s' declared at offset 0x%x "
                            "overlaps %s [0x%x, 0x%x) (line %d)" %
                            (item.name, declared, what, prev[1], prev[2],
                             prev[0].line), index)
                    ok = False
                    break
                if natural != cursor:
                    problem(item.line, "undeclared hole of %d bytes [0x%x, "
                            "0x%x) before field '%s' (%s, %d-byte aligned); "
                            "declare it with 'pad %d'" %
                            (natural - cursor, cursor, natural, item.name,
                             type_desc(item), elem_align, natural - cursor),
                            index)
                    ok = False
                    break
                if declared is not None and declared != cursor:
                    problem(item.line, "declared offset 0x%x of field '%s' "
                            "disagrees with its computed offset 0x%x" %
                            (declared, item.name, cursor), index)
                    ok = False
                    break
                placed.append((item, cursor))
                end = cursor + elem_size * item.count
                prev = (item, cursor, end)
                cursor = end
                align = max(align, elem_align)
            if not ok:
                continue
            if not any(item.kind == "field" for item, _ in placed):
                problem(struct.line, "struct '%s' has no fields" %
                        struct.name, index)
                continue
            declared_size = next((size for _, size, rng in struct.sizes
                                  if index in rng), None)
            size_line = next((line for line, _, rng in struct.sizes
                              if index in rng), struct.end_line)
            if declared_size is not None and declared_size < cursor:
                item, start, end = prev
                what = "pad" if item.kind == "pad" else \
                    "field '%s'" % item.name
                problem(item.line, "%s [0x%x, 0x%x) overlaps the end of "
                        "struct '%s' (declared size 0x%x at line %d)" %
                        (what, start, end, struct.name, declared_size,
                         size_line), index)
                continue
            if declared_size is not None and declared_size > cursor:
                problem(size_line, "undeclared hole of %d bytes [0x%x, 0x%x) "
                        "at the end of struct '%s' (declared size 0x%x); "
                        "declare it with 'pad %d'" %
                        (declared_size - cursor, cursor, declared_size,
                         struct.name, declared_size, declared_size - cursor),
                        index)
                continue
            natural = -(-cursor // align) * align
            if natural != cursor:
                problem(struct.end_line, "undeclared hole of %d bytes [0x%x, "
                        "0x%x) at the end of struct '%s' (size must be a "
                        "multiple of its %d-byte alignment); declare it with "
                        "'pad %d'" % (natural - cursor, cursor, natural,
                                      struct.name, align, natural - cursor),
                        index)
                continue
            struct.layouts[index] = {"size": cursor, "align": align,
                                     "placed": placed}
        for (line, text), indices in sorted(problems.items()):
            errors.add(line, "%s (in %s)" % (text, format_versions(
                schema, indices)))


# --------------------------------------------------------------------------
# Names of generated C identifiers


def field_id(schema, struct, name):
    return ("%s_%s_%s" % (schema.prefix, struct.name, name)).upper()


def struct_id(schema, struct):
    return ("%s_S_%s" % (schema.prefix, struct.name)).upper()


def const_id(schema, name):
    return ("%s_C_%s" % (schema.prefix, name)).upper()


def version_macro(schema, version):
    return ("%s_VERSION_%s" % (schema.prefix, version.ident)).upper()


def vprefix(schema, version):
    return "%s_v%s" % (schema.prefix, version.ident)


def check_names(schema, errors):
    """Refuses two definitions that would generate the same C identifier."""
    seen = {}
    bad_lines = set()

    def claim(name, line, what):
        if line in bad_lines:
            return
        if name in seen and seen[name][1] != what:
            bad_lines.add(line)
            other_line, other_what = seen[name]
            errors.add(line, "%s generates the C name %s, which %s (line %d) "
                       "also generates" % (what, name, other_what,
                                           other_line))
            return
        seen.setdefault(name, (line, what))

    upper = schema.prefix.upper()
    for name in ("NUM_STRUCTS", "NUM_FIELDS", "NUM_CONSTS", "NUM_VERSIONS"):
        claim("%s_%s" % (upper, name), 1, "fwabi")
    for version in schema.versions:
        claim(version_macro(schema, version), 1,
              "version %s" % version.name)
    for struct in schema.structs:
        claim(struct_id(schema, struct), struct.line,
              "struct '%s'" % struct.name)
        for item in struct.items:
            if item.kind == "field":
                claim(field_id(schema, struct, item.name), item.line,
                      "field '%s.%s'" % (struct.name, item.name))
    for const in schema.consts:
        claim(const_id(schema, const.name), const.line,
              "constant '%s'" % const.name)
    for version in schema.versions:
        vp = vprefix(schema, version)
        for struct in schema.structs:
            claim("%s_%s" % (vp, struct.name), struct.line,
                  "struct '%s' (%s)" % (struct.name, version.name))
        for enum in schema.enums:
            claim("%s_%s" % (vp, enum.name), enum.line,
                  "enum '%s' (%s)" % (enum.name, version.name))
        for const in schema.consts:
            claim(("%s_%s" % (vp, const.name)).upper(), const.line,
                  "constant '%s' (%s)" % (const.name, version.name))


# --------------------------------------------------------------------------
# Outputs


def rel_schema_path(path):
    """A path from the repository root (the generator's ../..), so that the
    outputs and messages do not depend on where the build directory is."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    rel = os.path.relpath(os.path.abspath(path), root)
    return os.path.basename(path) if rel.startswith("..") else rel


def c_value(const):
    text = const.text if const.text.lower().startswith("0x") else \
        str(const.value)
    return text + ("u" if const.type_name == "u32" else "ull")


def header_banner(schema, what):
    return ("/* SPDX-License-Identifier: MIT */\n"
            "/*\n * %s\n *\n * Generated by %s from %s: do not edit.\n */\n"
            % (what, GENERATOR, rel_schema_path(schema.path)))


def consts_in(schema, index, enum=None):
    return [c for c in schema.consts if c.enum is enum and index in c.range]


def gen_version_header(schema, version):
    index = version.index
    vp = vprefix(schema, version)
    vpu = vp.upper()
    guard = "FWABI_GENERATED_%s_H" % vpu
    out = [header_banner(schema, "%s firmware ABI version %s: structs, "
                         "constants and enums of this version only." %
                         (schema.prefix, version.name))]
    out.append("#ifndef %s\n#define %s\n\n#include <stddef.h>\n"
               "#include <stdint.h>\n\n" % (guard, guard))
    out.append("#define %s 0x%08xu\n" % (version_macro(schema, version),
                                         version.code))
    consts = consts_in(schema, index)
    if consts:
        out.append("\n")
        for const in consts:
            out.append("#define %s_%s %s\n" % (vpu, const.name,
                                               c_value(const)))
    for enum in schema.enums:
        values = consts_in(schema, index, enum)
        if not values:
            continue
        out.append("\nenum %s_%s {\n" % (vp, enum.name))
        for const in values:
            out.append("\t%s_%s = %s,\n" % (vpu, const.name, const.text))
        out.append("};\n")
    for struct in schema.structs:
        lay = struct.layouts.get(index)
        if lay is None:
            continue
        tag = "struct %s_%s" % (vp, struct.name)
        out.append("\n%s {\n" % tag)
        asserts = []
        pads = 0
        for item, offset in lay["placed"]:
            if item.kind == "pad":
                decl = "uint8_t _pad%d[%d];" % (pads, item.count)
                pads += 1
            else:
                ctype = C_SCALAR.get(item.type_name) or \
                    "struct %s_%s" % (vp, item.type_name)
                decl = "%s %s%s;" % (ctype, item.name, "" if item.count == 1
                                     else "[%d]" % item.count)
                asserts.append(
                    "_Static_assert(offsetof(%s, %s) == 0x%x,\n\t       "
                    "\"%s %s: %s.%s at 0x%x\");\n" %
                    (tag, item.name, offset, schema.prefix, version.name,
                     struct.name, item.name, offset))
            out.append("\t%-32s /* 0x%02x */\n" % (decl, offset))
        out.append("};\n")
        out.extend(asserts)
        out.append("_Static_assert(sizeof(%s) == %d,\n\t       \"%s %s: "
                   "sizeof %s is %d\");\n" % (tag, lay["size"], schema.prefix,
                                              version.name, struct.name,
                                              lay["size"]))
    out.append("\n#endif /* %s */\n" % guard)
    return "".join(out)


def gen_abi_header(schema):
    p = schema.prefix
    pu = p.upper()
    guard = "FWABI_GENERATED_%s_ABI_H" % pu
    out = [header_banner(schema, "%s firmware ABI, every version: ids of "
                         "structs, fields and constants for the layout "
                         "tables (fwabi.h), version codes, lookup." % p)]
    out.append("#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n"
               "#include \"fwabi.h\"\n\n" % (guard, guard))
    out.append("/*\n * Version codes, as the firmware reports them: major << 24 "
               "| minor << 16 |\n * patch << 8 | pre, pre = 0xff for a "
               "release, else the 1-based position of\n * the pre-release "
               "among the listed pre-releases of the same\n * "
               "major.minor.patch (1.0 is 0x010000ff).\n"
               " */\n")
    for version in schema.versions:
        out.append("#define %s 0x%08xu\n" % (version_macro(schema, version),
                                             version.code))
    out.append("#define %s_NUM_VERSIONS %d\n" % (pu, len(schema.versions)))
    out.append("\nenum %s_struct_id {\n" % p)
    for struct in schema.structs:
        out.append("\t%s,\n" % struct_id(schema, struct))
    out.append("\t%s_NUM_STRUCTS\n};\n" % pu)
    out.append("\n/* One id per field name, whatever its type in each "
               "version. */\nenum %s_field_id {\n" % p)
    for struct in schema.structs:
        for name in struct.field_names:
            out.append("\t%s,\n" % field_id(schema, struct, name))
    out.append("\t%s_NUM_FIELDS\n};\n" % pu)
    out.append("\n/* Constants and enum values. */\nenum %s_const_id {\n" % p)
    for name in schema.const_names:
        out.append("\t%s,\n" % const_id(schema, name))
    out.append("\t%s_NUM_CONSTS\n};\n" % pu)
    out.append("\n/* The versions in the schema's order, oldest first. */\n"
               "extern const struct fwabi_version %s_versions[];\n"
               "extern const unsigned int %s_num_versions;\n\n"
               "/* The layout of the version with code @code (what the "
               "firmware reports), or\n * NULL if the schema does not know "
               "it. */\n"
               "const struct fwabi_version *%s_abi_lookup(uint32_t code);\n\n"
               "/* The layout of the version named @name (\"2.0-rc1\"), or "
               "NULL. */\n"
               "const struct fwabi_version *%s_abi_lookup_name(const char "
               "*name);\n" % (p, p, p, p))
    out.append("\n#endif /* %s */\n" % guard)
    return "".join(out)


def gen_abi_source(schema):
    p = schema.prefix
    out = [header_banner(schema, "%s firmware ABI: the layout tables of "
                         "every version." % p)]
    out.append("#include <stdbool.h>\n#include <stddef.h>\n#include "
               "<stdint.h>\n#include <string.h>\n\n#include \"%s_abi.h\"\n"
               % p)
    for version in schema.versions:
        index = version.index
        vp = vprefix(schema, version)
        out.append("\nstatic const struct fwabi_struct %s_structs[%s_NUM_"
                   "STRUCTS] = {\n" % (vp, p.upper()))
        for struct in schema.structs:
            lay = struct.layouts.get(index)
            out.append("\t[%s] = { .name = \"%s\", .size = %d, .present = "
                       "%s },\n" % (struct_id(schema, struct), struct.name,
                                    lay["size"] if lay else 0,
                                    "true" if lay else "false"))
        out.append("};\n\nstatic const struct fwabi_field %s_fields[%s_NUM_"
                   "FIELDS] = {\n" % (vp, p.upper()))
        for struct in schema.structs:
            lay = struct.layouts.get(index)
            placed = {}
            if lay:
                placed = {item.name: (item, offset)
                          for item, offset in lay["placed"]
                          if item.kind == "field"}
            for name in struct.field_names:
                ident = field_id(schema, struct, name)
                full = "%s.%s" % (struct.name, name)
                if name not in placed:
                    out.append("\t[%s] = { .name = \"%s\", .present = false "
                               "},\n" % (ident, full))
                    continue
                item, offset = placed[name]
                if item.type_name in SCALARS:
                    size, signed = SCALARS[item.type_name]
                    is_struct = False
                else:
                    size = struct_size(schema, item.type_name, index)
                    signed, is_struct = False, True
                out.append("\t[%s] = { .name = \"%s\", .offset = 0x%x, "
                           ".size = %d, .count = %d, .present = true, "
                           ".is_signed = %s, .is_struct = %s },\n" %
                           (ident, full, offset, size, item.count,
                            "true" if signed else "false",
                            "true" if is_struct else "false"))
        out.append("};\n\nstatic const struct fwabi_const %s_consts[%s_NUM_"
                   "CONSTS] = {\n" % (vp, p.upper()))
        for name in schema.const_names:
            const = next((c for c in schema.consts
                          if c.name == name and index in c.range), None)
            if const is None:
                out.append("\t[%s] = { .name = \"%s\", .present = false },\n"
                           % (const_id(schema, name), name))
            else:
                out.append("\t[%s] = { .name = \"%s\", .value = %s, .present"
                           " = true },\n" % (const_id(schema, name), name,
                                             c_value(const)))
        out.append("};\n")
    out.append("\nconst struct fwabi_version %s_versions[] = {\n" % p)
    for version in schema.versions:
        vp = vprefix(schema, version)
        out.append("\t{\n\t\t.name = \"%s\",\n\t\t.code = %s,\n\t\t.index = "
                   "%d,\n\t\t.structs = %s_structs,\n\t\t.fields = %s_fields,"
                   "\n\t\t.consts = %s_consts,\n\t\t.num_structs = %s_NUM_"
                   "STRUCTS,\n\t\t.num_fields = %s_NUM_FIELDS,\n\t\t"
                   ".num_consts = %s_NUM_CONSTS,\n\t},\n" %
                   (version.name, version_macro(schema, version),
                    version.index, vp, vp, vp, p.upper(), p.upper(),
                    p.upper()))
    out.append("};\n\nconst unsigned int %s_num_versions = %d;\n" %
               (p, len(schema.versions)))
    out.append("\nconst struct fwabi_version *%s_abi_lookup(uint32_t code)\n"
               "{\n\tfor (unsigned int i = 0; i < %s_num_versions; i++) {\n"
               "\t\tif (%s_versions[i].code == code)\n\t\t\treturn "
               "&%s_versions[i];\n\t}\n\treturn NULL;\n}\n" % (p, p, p, p))
    out.append("\nconst struct fwabi_version *%s_abi_lookup_name(const char "
               "*name)\n{\n\tfor (unsigned int i = 0; name && i < "
               "%s_num_versions; i++) {\n\t\tif (strcmp(%s_versions[i].name, "
               "name) == 0)\n\t\t\treturn &%s_versions[i];\n\t}\n\treturn "
               "NULL;\n}\n" % (p, p, p, p))
    return "".join(out)


def struct_size(schema, name, index):
    struct = next(s for s in schema.structs if s.name == name)
    return struct.layouts[index]["size"]


# --------------------------------------------------------------------------
# The layout report


def regenerate_note(schema):
    return ("Generated by %s from %s; do not edit. Regenerate with "
            "`python3 %s %s --report-dir docs/fwabi`; the Meson test "
            "fwabi/report fails while this file is stale." %
            (GENERATOR, rel_schema_path(schema.path), GENERATOR,
             rel_schema_path(schema.path)))


def field_cells(schema, struct):
    """Rows of the report for a struct, in schema order (a field repeated
    with other ranges where it first appears): (label, kind, cells), a cell
    per version, None when absent. Pads are numbered, not named by line, so
    that editing comments in the schema leaves the report alone."""
    rows = []
    seen = set()
    pads = 0
    for first in struct.items:
        if first.kind == "field" and first.name in seen:
            continue
        if first.kind == "field":
            seen.add(first.name)
            label = first.name
            same = [i for i in struct.items
                    if i.kind == "field" and i.name == first.name]
        else:
            pads += 1
            label = "pad #%d" % pads
            same = [first]
        cells = []
        for version in schema.versions:
            lay = struct.layouts.get(version.index)
            cell = None
            for item, offset in (lay["placed"] if lay else []):
                if item not in same:
                    continue
                if item.kind == "pad":
                    size, type_text = item.count, "pad"
                elif item.type_name in SCALARS:
                    size = SCALARS[item.type_name][0] * item.count
                    type_text = type_desc(item)
                else:
                    size = struct_size(schema, item.type_name,
                                       version.index) * item.count
                    type_text = type_desc(item)
                cell = {"offset": offset, "size": size, "type": type_text}
            cells.append(cell)
        rows.append((label, first.kind, cells))
    return rows


def md_cell_text(cell):
    if cell is None:
        return "—"
    if cell["type"] == "pad":
        return "0x%02x pad %d" % (cell["offset"], cell["size"])
    return "0x%02x %s" % (cell["offset"], cell["type"])


def md_row(label, texts):
    out = [label]
    for i, text in enumerate(texts):
        if i > 0 and text != texts[i - 1]:
            text = "**%s**" % text
        out.append(text)
    return "| " + " | ".join(out) + " |\n"


def gen_report_md(schema):
    versions = schema.versions
    out = ["<!-- %s -->\n\n" % regenerate_note(schema)]
    out.append("# %s firmware ABI layout\n\n" % schema.prefix)
    out.append("Cells give the offset and type of each field (`—`: absent "
               "in that version); **bold** marks a change from the previous "
               "version.\n\n")
    out.append("| version | code |\n|---|---|\n")
    for version in versions:
        out.append("| %s | 0x%08x |\n" % (version.name, version.code))
    header = "| %s | " + " | ".join(v.name for v in versions) + " |\n"
    rule = "|---" * (len(versions) + 1) + "|\n"
    for struct in schema.structs:
        out.append("\n## struct %s\n\n" % struct.name)
        out.append(header % "field")
        out.append(rule)
        for label, kind, cells in field_cells(schema, struct):
            out.append(md_row("*%s*" % label if kind == "pad" else
                              "`%s`" % label,
                              [md_cell_text(c) for c in cells]))
        sizes = []
        for version in versions:
            lay = struct.layouts.get(version.index)
            sizes.append(str(lay["size"]) if lay else "—")
        out.append(md_row("*size*", sizes))
    consts = [c for c in schema.const_names
              if any(k.enum is None for k in schema.consts if k.name == c)]
    if consts:
        out.append("\n## constants\n\n")
        out.append(header % "constant")
        out.append(rule)
        for name in consts:
            out.append(md_row("`%s`" % name,
                              const_texts(schema, name)))
    for enum in schema.enums:
        out.append("\n## enum %s\n\n" % enum.name)
        out.append(header % "value")
        out.append(rule)
        names = []
        for const in enum.values:
            if const.name not in names:
                names.append(const.name)
        for name in names:
            out.append(md_row("`%s`" % name, const_texts(schema, name)))
    return "".join(out)


def const_texts(schema, name):
    texts = []
    for version in schema.versions:
        const = next((c for c in schema.consts
                      if c.name == name and version.index in c.range), None)
        texts.append("—" if const is None else const.text)
    return texts


def gen_report_json(schema):
    doc = {"note": regenerate_note(schema),
           "prefix": schema.prefix,
           "versions": [{"name": v.name, "code": "0x%08x" % v.code}
                        for v in schema.versions],
           "structs": []}
    for struct in schema.structs:
        entry = {"name": struct.name,
                 "size": {v.name: (struct.layouts[v.index]["size"]
                                   if struct.layouts.get(v.index) else None)
                          for v in schema.versions},
                 "fields": []}
        for label, kind, cells in field_cells(schema, struct):
            entry["fields"].append({
                "name": label,
                "kind": kind,
                "layout": {v.name: cells[v.index]
                           for v in schema.versions}})
        doc["structs"].append(entry)
    doc["constants"] = []
    for name in schema.const_names:
        first = next(c for c in schema.consts if c.name == name)
        values = {}
        for version in schema.versions:
            const = next((c for c in schema.consts if c.name == name and
                          version.index in c.range), None)
            values[version.name] = None if const is None else const.value
        doc["constants"].append({
            "name": name,
            "enum": first.enum.name if first.enum else None,
            "values": values})
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------
# Driver


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SchemaError("%s: error: %s" % (path, e.strerror))
    parser = Parser(path, text)
    schema = parser.parse()
    errors = parser.errors
    if not errors:
        layout(schema, errors)
    if not errors:
        check_names(schema, errors)
    if errors:
        raise SchemaError("\n".join(errors.messages))
    return schema


def outputs(schema):
    files = {}
    for version in schema.versions:
        files[vprefix(schema, version) + ".h"] = \
            gen_version_header(schema, version)
    files[schema.prefix + "_abi.h"] = gen_abi_header(schema)
    files[schema.prefix + "_abi.c"] = gen_abi_source(schema)
    files.update(report_outputs(schema))
    return files


def report_outputs(schema):
    return {schema.prefix + "_layout.md": gen_report_md(schema),
            schema.prefix + "_layout.json": gen_report_json(schema)}


def write_files(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        path = os.path.join(directory, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def check_report(schema, md_path, json_path):
    expected = report_outputs(schema)
    stale = False
    for path, name in ((md_path, schema.prefix + "_layout.md"),
                       (json_path, schema.prefix + "_layout.json")):
        try:
            with open(path, encoding="utf-8") as f:
                committed = f.read()
        except OSError as e:
            print("%s: error: %s" % (path, e.strerror), file=sys.stderr)
            stale = True
            continue
        if committed == expected[name]:
            continue
        stale = True
        shown = rel_schema_path(path) if os.path.isabs(path) else path
        sys.stdout.writelines(difflib.unified_diff(
            committed.splitlines(True), expected[name].splitlines(True),
            fromfile=shown + " (committed)",
            tofile=name + " (generated from the schema)"))
        print("%s: error: the committed layout report is stale" % shown,
              file=sys.stderr)
    if stale:
        print("regenerate it with: python3 %s %s --report-dir docs/fwabi" %
              (GENERATOR, rel_schema_path(schema.path)), file=sys.stderr)
    return 1 if stale else 0


def main(argv):
    ap = argparse.ArgumentParser(
        description="Generate per-version C headers, layout tables and a "
        "layout report from a firmware ABI schema.")
    ap.add_argument("schema")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--outdir", help="write every output into DIR")
    mode.add_argument("--report-dir",
                      help="write only the layout report into DIR")
    mode.add_argument("--check-report", nargs=2, metavar=("MD", "JSON"),
                      help="compare committed reports with the schema's")
    ap.add_argument("--expect-outputs", nargs="+", metavar="FILE",
                    help="with --outdir: fail unless the schema generates "
                    "exactly these files (the build system's list)")
    args = ap.parse_args(argv)
    try:
        schema = load(args.schema)
    except SchemaError as e:
        print(e, file=sys.stderr)
        return 1
    if args.check_report:
        return check_report(schema, *args.check_report)
    if args.report_dir:
        write_files(args.report_dir, report_outputs(schema))
        return 0
    files = outputs(schema)
    if args.expect_outputs is not None:
        expected = sorted(os.path.basename(f) for f in args.expect_outputs)
        if expected != sorted(files):
            print("%s: error: the build lists the outputs %s but the schema "
                  "generates %s" % (args.schema, " ".join(expected),
                                    " ".join(sorted(files))),
                  file=sys.stderr)
            return 1
    write_files(args.outdir, files)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
