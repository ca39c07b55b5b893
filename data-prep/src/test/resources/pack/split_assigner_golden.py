#!/usr/bin/env python3
"""Independent implementation of verbo's SplitAssigner hash, the source of SplitAssignerTest's pinned values.

FNV-1a 64 (http://www.isthe.com/chongo/tech/comp/fnv/) over the UTF-8 bytes of the id, its offset basis xor-ed with
SplitMix64(seed), finished by SplitMix64 (Steele, Lea, Flood 2014; the constants of java.util.SplittableRandom's
mix64 after adding the golden gamma). unit = top 53 bits / 2^53. Python integers masked to 64 bits, so nothing here
shares Java's long overflow. Run: python3 split_assigner_golden.py
"""

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def split_mix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def split_hash(doc_id, seed):
    h = FNV_OFFSET ^ split_mix64(seed & MASK)
    for b in doc_id.encode("utf-8"):
        h ^= b
        h = (h * FNV_PRIME) & MASK
    return split_mix64(h)


def unit(doc_id, seed):
    return (split_hash(doc_id, seed) >> 11) / float(1 << 53)


if __name__ == "__main__":
    for doc_id, seed in [("", 0), ("doc-0", 42), ("ação", 1)]:
        print("hash(%r, %d) = 0x%016x" % (doc_id, seed, split_hash(doc_id, seed)))
    print("unit('doc-0', 42) = %r" % unit("doc-0", 42))
