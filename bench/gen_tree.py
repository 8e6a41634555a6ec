#!/usr/bin/env python3
"""Generates the 'facedata' workload deterministically: crop-sized incompressible files.

Sizes are lognormal with a median of about 5.4 KB (sigma 0.6), spread over 512 directories, named like face
crops (.jpg). The same seed and count always give the same tree, byte for byte, so runs can be compared.

usage: gen_tree.py DIR [--files N] [--seed S]
       gen_tree.py DIR --change PERCENT --round R   (rewrite PERCENT % of the files, chosen by R)
"""
import argparse
import math
import os
import random
import sys

MEDIAN = 5400
SIGMA = 0.6
DIRS = 512


def sizes(rng, n, median=MEDIAN):
    mu = math.log(median)
    for _ in range(n):
        yield max(64, min(int(rng.lognormvariate(mu, SIGMA)), 4 << 20))


def path_of(root, i):
    return os.path.join(root, "%03x" % (i % DIRS), "face_%07d.jpg" % i)



def generate(root, n, seed, median=MEDIAN):
    rng = random.Random(seed)
    for d in range(min(DIRS, n)):
        os.makedirs(os.path.join(root, "%03x" % d), exist_ok=True)
    total = 0
    for i, size in enumerate(sizes(rng, n, median)):
        with open(path_of(root, i), "wb") as f:
            f.write(rng.randbytes(size))
        total += size
    return total


def change(root, n, percent, rnd):
    rng = random.Random(1_000_003 * rnd + 17)
    k = max(1, int(n * percent / 100))
    changed = 0
    for i in rng.sample(range(n), k):
        p = path_of(root, i)
        size = os.path.getsize(p)
        with open(p, "wb") as f:
            f.write(rng.randbytes(size))
        changed += size
    return k, changed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--change", type=float)
    ap.add_argument("--round", type=int, default=1)
    ap.add_argument("--median", type=int, default=MEDIAN,
                    help="median file size in bytes (the memory runs use small files: memory follows the count)")
    a = ap.parse_args()
    if a.change is not None:
        k, b = change(a.dir, a.files, a.change, a.round)
        print("changed %d files, %d bytes" % (k, b))
        return
    total = generate(a.dir, a.files, a.seed, a.median)
    print("generated %d files, %d bytes in %s" % (a.files, total, a.dir))


if __name__ == "__main__":
    sys.exit(main())
