#!/usr/bin/env python3
"""Prints each header's text without comments and without whitespace, one header per line.

The interface fingerprint (tools/hot_cc_library.bzl) hashes this, so that an edit of a comment
or of spacing in a shared header leaves the fingerprint as it was, while any edit of a
declaration changes it. String and character literals are kept as written, so that a "//" in
a string is not taken for a comment.

    interface_tokens.py HEADER...
"""

import sys


def tokens(text):
    """`text` with its comments and whitespace outside literals removed."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c in "\"'":
            start = i
            i += 1
            while i < n and text[i] != c:
                i += 2 if text[i] == "\\" else 1
            out.append(text[start:i + 1])
            i += 1
        elif c.isspace():
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main(paths):
    for path in paths:
        with open(path, encoding="utf-8", errors="surrogateescape") as header:
            sys.stdout.write(tokens(header.read()) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
