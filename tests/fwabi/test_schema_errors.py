#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fwabi: every schema error gives its message, naming the file and line.

Each case is a small schema with one mistake; the generator must exit with
status 1 and print exactly the expected message on stderr. Then a few
things that must work: pre-release version codes, the build's list of
outputs, and --check-report on a stale report.

Usage: test_schema_errors.py FWABI_PY
"""

import os
import subprocess
import sys
import tempfile

HEADER = "prefix t\nversions 1.0 1.1 2.0-rc1 2.0\n"

# (name, schema text, expected stderr). The line numbers count HEADER's two
# lines where it is used.
CASES = [
    ("overlap",
     HEADER + """struct s
	u64 a
	u32 b @0x4
end
""",
     "overlap.fwabi:5: error: field 'b' declared at offset 0x4 overlaps "
     "field 'a' [0x0, 0x8) (line 4) (in versions 1.0, 1.1, 2.0-rc1, 2.0)"),

    ("overlap_size",
     HEADER + """struct s
	u32 a
	u32 b
	u64 c [2.0,)
	size 8
end
""",
     "overlap_size.fwabi:6: error: field 'c' [0x8, 0x10) overlaps the end "
     "of struct 's' (declared size 0x8 at line 7) (in version 2.0)"),

    ("hole",
     HEADER + """struct s
	u32 a
	u32 b [, 1.1)
	u64 c
end
""",
     "hole.fwabi:6: error: undeclared hole of 4 bytes [0x4, 0x8) before "
     "field 'c' (u64, 8-byte aligned); declare it with 'pad 4' (in versions "
     "1.1, 2.0-rc1, 2.0)"),

    ("hole_end",
     HEADER + """struct s
	u64 a
	u32 b
end
""",
     "hole_end.fwabi:6: error: undeclared hole of 4 bytes [0xc, 0x10) at the "
     "end of struct 's' (size must be a multiple of its 8-byte alignment); "
     "declare it with 'pad 4' (in versions 1.0, 1.1, 2.0-rc1, 2.0)"),

    ("hole_size",
     HEADER + """struct s
	u32 a
	size 8 [2.0-rc1,)
end
""",
     "hole_size.fwabi:5: error: undeclared hole of 4 bytes [0x4, 0x8) at the "
     "end of struct 's' (declared size 0x8); declare it with 'pad 4' (in "
     "versions 2.0-rc1, 2.0)"),

    # A field inserted in 1.1 before one whose offset is pinned.
    ("overlap_inserted",
     HEADER + """struct s
	u32 a
	u32 b [1.1,)
	u32 c @0x4
	u32 d
end
""",
     "overlap_inserted.fwabi:6: error: field 'c' declared at offset 0x4 "
     "overlaps field 'b' [0x4, 0x8) (line 5) (in versions 1.1, 2.0-rc1, "
     "2.0)"),

    ("offset_mismatch",
     HEADER + """struct s
	u32 a
	u32 b @0x8
end
""",
     "offset_mismatch.fwabi:5: error: declared offset 0x8 of field 'b' "
     "disagrees with its computed offset 0x4 (in versions 1.0, 1.1, "
     "2.0-rc1, 2.0)"),

    ("misaligned",
     HEADER + """struct s
	u32 a
	u32 b
	u64 c @0x4 [2.0,)
end
""",
     "misaligned.fwabi:6: error: misaligned field 'c': declared offset 0x4 "
     "is not a multiple of its 8-byte alignment (u64) (in version 2.0)"),

    ("unknown_type",
     HEADER + """struct s
	u24 a
end
""",
     "unknown_type.fwabi:4: error: unknown type 'u24' of field 'a'"),

    ("unknown_type_struct_later",
     HEADER + """struct s
	t a
end
struct t
	u32 x
end
""",
     "unknown_type_struct_later.fwabi:4: error: unknown type 't' of "
     "field 'a'"),

    ("bad_range",
     HEADER + """struct s
	u32 a [1.0]
end
""",
     "bad_range.fwabi:4: error: bad version range '[1.0]': expected "
     "[SINCE, UNTIL) with either end optional"),

    ("bad_range_closed",
     HEADER + """const u32 X = 1 [1.0, 2.0]
""",
     "bad_range_closed.fwabi:3: error: bad version range '[1.0, 2.0]': "
     "expected [SINCE, UNTIL) with either end optional"),

    ("inverted_range",
     HEADER + """struct s
	u32 a [2.0, 1.1)
end
""",
     "inverted_range.fwabi:4: error: inverted version range '[2.0, 1.1)': "
     "2.0 comes after 1.1"),

    ("empty_range",
     HEADER + """enum e
	A = 1 [1.1, 1.1)
end
""",
     "empty_range.fwabi:4: error: empty version range '[1.1, 1.1)'"),

    ("unknown_version",
     HEADER + """struct s
	u32 a [1.5, )
end
""",
     "unknown_version.fwabi:4: error: unknown version '1.5' in range "
     "'[1.5, )' (versions: 1.0 1.1 2.0-rc1 2.0)"),

    ("unsorted_versions",
     "prefix t\nversions 1.0 2.0 1.1\n",
     "unsorted_versions.fwabi:2: error: versions are not strictly "
     "ascending: '1.1' comes after '2.0'"),

    ("unsorted_prerelease",
     "prefix t\nversions 1.0 2.0 2.0-rc1\n",
     "unsorted_prerelease.fwabi:2: error: versions are not strictly "
     "ascending: '2.0-rc1' comes after '2.0'"),

    ("duplicate_version",
     "prefix t\n# same code\nversions 1.0 1.0.0\n",
     "duplicate_version.fwabi:3: error: versions are not strictly "
     "ascending: '1.0.0' comes after '1.0'"),

    ("bad_version",
     "prefix t\nversions 1.0 1.256\n",
     "bad_version.fwabi:2: error: bad version '1.256': expected "
     "MAJOR.MINOR[.PATCH][-PRERELEASE], numbers up to 255"),

    ("duplicate_field",
     HEADER + """struct s
	u32 a [, 2.0-rc1)
	u32 b
	u64 a [1.1, )
end
""",
     "duplicate_field.fwabi:6: error: field 'a' is already defined at line 4 "
     "for an overlapping version range (version 1.1)"),

    ("duplicate_const",
     HEADER + """const u32 X = 1 [, 2.0)
const u32 X = 2 [1.1, )
""",
     "duplicate_const.fwabi:4: error: 'X' is already defined at line 3 for "
     "an overlapping version range"),

    ("c_name_collision",
     HEADER + """struct s
	u32 x
end
enum s
	A = 1
end
""",
     "c_name_collision.fwabi:6: error: enum 's' (1.0) generates the C name "
     "t_v1_0_s, which struct 's' (1.0) (line 3) also generates"),

    ("const_too_wide",
     HEADER + "const u32 X = 0x100000000\n",
     "const_too_wide.fwabi:3: error: value 0x100000000 of 'X' does not fit "
     "in u32"),

    ("missing_end",
     HEADER + "struct s\n\tu32 a\n",
     "missing_end.fwabi:3: error: struct 's' has no 'end'"),
]


def run(fwabi, args, cwd):
    return subprocess.run([sys.executable, fwabi] + args, cwd=cwd,
                          capture_output=True, text=True)


def write(directory, name, text):
    with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
        f.write(text)


def check_errors(fwabi, tmp):
    failures = 0
    for name, text, expected in CASES:
        write(tmp, name + ".fwabi", text)
        result = run(fwabi, [name + ".fwabi", "--outdir", "out"], tmp)
        got = result.stderr.strip()
        if result.returncode != 1 or got != expected:
            failures += 1
            print("FAIL %s: exit status %d\n  expected: %s\n  got:      %s"
                  % (name, result.returncode, expected, got))
        else:
            print("ok   %s" % name)
    return failures


def check_prerelease_codes(fwabi, tmp):
    """rc2 < rc10 (natural order); pre = position among the listed
    pre-releases of the same major.minor.patch; 0xff for a release."""
    write(tmp, "codes.fwabi", "prefix t\nversions 1.0-beta 1.0 1.2.3 "
          "2.0-alpha 2.0-rc2 2.0-rc10 2.0\nstruct s\n\tu32 a\nend\n")
    result = run(fwabi, ["codes.fwabi", "--outdir", "codes"], tmp)
    if result.returncode != 0:
        print("FAIL codes: %s" % result.stderr)
        return 1
    with open(os.path.join(tmp, "codes", "t_abi.h"), encoding="utf-8") as f:
        header = f.read()
    failures = 0
    for line in ("#define T_VERSION_1_0_BETA 0x01000001u",
                 "#define T_VERSION_1_0 0x010000ffu",
                 "#define T_VERSION_1_2_3 0x010203ffu",
                 "#define T_VERSION_2_0_ALPHA 0x02000001u",
                 "#define T_VERSION_2_0_RC2 0x02000002u",
                 "#define T_VERSION_2_0_RC10 0x02000003u",
                 "#define T_VERSION_2_0 0x020000ffu"):
        if line not in header:
            print("FAIL codes: t_abi.h lacks '%s'" % line)
            failures += 1
    expected = sorted(["t_v1_0_beta.h", "t_v1_0.h", "t_v1_2_3.h",
                       "t_v2_0_alpha.h", "t_v2_0_rc2.h", "t_v2_0_rc10.h",
                       "t_v2_0.h", "t_abi.h", "t_abi.c", "t_layout.md",
                       "t_layout.json"])
    if sorted(os.listdir(os.path.join(tmp, "codes"))) != expected:
        print("FAIL codes: outputs %s" % os.listdir(os.path.join(tmp,
                                                                "codes")))
        failures += 1
    if not failures:
        print("ok   prerelease codes")
    return failures


def check_expect_outputs(fwabi, tmp):
    """The build's list of outputs must match the schema's versions."""
    write(tmp, "outs.fwabi", "prefix t\nversions 1.0 1.1\nstruct s\n"
          "\tu32 a\nend\n")
    result = run(fwabi, ["outs.fwabi", "--outdir", "outs",
                         "--expect-outputs", "outs/t_v1_0.h", "outs/t_abi.h",
                         "outs/t_abi.c", "outs/t_layout.md",
                         "outs/t_layout.json"], tmp)
    expected = ("outs.fwabi: error: the build lists the outputs t_abi.c "
                "t_abi.h t_layout.json t_layout.md t_v1_0.h but the schema "
                "generates t_abi.c t_abi.h t_layout.json t_layout.md "
                "t_v1_0.h t_v1_1.h")
    if result.returncode != 1 or result.stderr.strip() != expected:
        print("FAIL expect-outputs: exit status %d\n  expected: %s\n"
              "  got:      %s" % (result.returncode, expected,
                                  result.stderr.strip()))
        return 1
    print("ok   expect-outputs")
    return 0


def check_stale_report(fwabi, tmp):
    """--check-report passes on a fresh report and, after a layout change,
    fails with a diff that shows the change."""
    write(tmp, "rep.fwabi", "prefix t\nversions 1.0 1.1\nstruct s\n"
          "\tu32 a\n\tu32 b [1.1,)\n\tpad 4 [, 1.1)\nend\n")
    result = run(fwabi, ["rep.fwabi", "--report-dir", "rep"], tmp)
    md = os.path.join("rep", "t_layout.md")
    js = os.path.join("rep", "t_layout.json")
    fresh = run(fwabi, ["rep.fwabi", "--check-report", md, js], tmp)
    if result.returncode != 0 or fresh.returncode != 0:
        print("FAIL check-report on a fresh report: %s%s" %
              (result.stderr, fresh.stdout + fresh.stderr))
        return 1
    write(tmp, "rep.fwabi", "prefix t\nversions 1.0 1.1\nstruct s\n"
          "\tu32 a\n\tpad 4 [1.1,)\n\tu64 b [1.1,)\n\tpad 4 [, 1.1)\n"
          "end\n")
    stale = run(fwabi, ["rep.fwabi", "--check-report", md, js], tmp)
    wanted = ["-| `b` | — | **0x04 u32** |",
              "+| `b` | — | **0x08 u64** |",
              "rep/t_layout.md: error: the committed layout report is stale",
              "rep/t_layout.json: error: the committed layout report is "
              "stale"]
    output = stale.stdout + stale.stderr
    missing = [w for w in wanted if w not in output.splitlines()]
    if stale.returncode != 1 or missing:
        print("FAIL stale report: exit status %d, missing %s in:\n%s" %
              (stale.returncode, missing, output))
        return 1
    print("ok   stale report")
    return 0


def main():
    fwabi = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="fwabi-test-") as tmp:
        failures = check_errors(fwabi, tmp)
        failures += check_prerelease_codes(fwabi, tmp)
        failures += check_expect_outputs(fwabi, tmp)
        failures += check_stale_report(fwabi, tmp)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
