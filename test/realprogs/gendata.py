#!/usr/bin/env python3
"""Deterministic test data for the real-program suite and scripts/setup.sh.

Every generator takes a seed, so a failure reproduces byte for byte.  The
data is text made of pseudo-words: compressible enough that the compressors
find matches (and xz/zstd/pigz/pbzip2 cut it into several blocks), varied
enough that a lost or duplicated block changes the checksum.

    gendata.py text SIZE PATH     SIZE in bytes, or with a K/M suffix
"""

import os
import random
import sys

# Rare enough in generated text that its count in a file varies; the
# search tests (rg, git grep) look for it.
NEEDLE = "quuxneedle"


def _vocabulary(rng, count=4096):
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [26 - i for i in range(len(letters))]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 9)))
            for _ in range(count)]


def text_lines(seed, nbytes):
    """Lines of words; yields bytes lines until about nbytes are made."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    made = 0
    while made < nbytes:
        words = rng.choices(vocab, k=rng.randint(4, 14))
        if rng.random() < 0.01:
            words[rng.randrange(len(words))] = NEEDLE
        line = (" ".join(words) + "\n").encode()
        made += len(line)
        yield line


def write_text(path, nbytes, seed=1):
    with open(path, "wb") as f:
        chunk = []
        for line in text_lines(seed, nbytes):
            chunk.append(line)
            if len(chunk) == 4096:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))


def sort_records(seed, count):
    """Lines with a random key first, many duplicate keys: what sort meets."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 512)
    return [("%08x %s %d\n" % (rng.getrandbits(20), rng.choice(vocab),
                               rng.randrange(1000))).encode()
            for _ in range(count)]


def write_tree(root, nfiles, seed=1, file_bytes=6000):
    """A directory tree of text files; returns {relative path: needle count}.

    Files share most of their lines (a common base with a few edits), so a
    git pack of them is made of deltas, which is what index-pack resolves
    with threads."""
    rng = random.Random(seed)
    base = list(text_lines(seed + 1000, file_bytes))
    counts = {}
    for i in range(nfiles):
        rel = os.path.join("d%02d" % (i % 16), "f%04d.txt" % i)
        lines = list(base)
        for _ in range(rng.randint(1, 6)):
            lines[rng.randrange(len(lines))] = (
                "edit %d %d %s\n" % (i, rng.getrandbits(32),
                                     NEEDLE if rng.random() < 0.5 else "plain")
            ).encode()
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.writelines(lines)
        counts[rel] = sum(1 for ln in lines if NEEDLE.encode() in ln)
    return counts


def parse_size(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1:].upper() in mult:
        return int(text[:-1]) * mult[text[-1:].upper()]
    return int(text)


def main(argv):
    if len(argv) != 4 or argv[1] != "text":
        sys.stderr.write(__doc__)
        return 2
    write_text(argv[3], parse_size(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
