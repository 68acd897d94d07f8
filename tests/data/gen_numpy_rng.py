#!/usr/bin/python3
"""Records reference streams from real NumPy for tests/core/rng_test.cpp and
tests/core/legacy_random_test.cpp.

The C++ Rng must reproduce np.random.Generator(PCG64(SeedSequence(seed))) bit for bit, and
LegacyRandomState must reproduce np.random.RandomState(seed) (MT19937). The ground truth is
Debian's interpreter with NumPy 1.24:

    /usr/bin/python3 tests/data/gen_numpy_rng.py            # writes numpy_rng.json and
                                                            # numpy_legacy_rng.json here

Long streams are stored as a digest (see `digest`) plus their first few values, so that the JSON
stays small while the tests still cover hundreds of thousands of draws; the C++ test computes the
same digest. Values are stored as: integers as JSON integers, doubles as float.hex() strings
(exact), 128-bit integers as hex strings.

A second mode regenerates src/core/ziggurat_tables.h from NumPy's source header, which is where
the ziggurat tables of random_standard_normal come from (they are not exposed in Python):

    /usr/bin/python3 tests/data/gen_numpy_rng.py --ziggurat-from \\
        numpy/random/src/distributions/ziggurat_constants.h   # from the v1.24.2 tag
"""

import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1

# Seeds used throughout: small, the 32-bit and 64-bit edges, and 128-bit entropy.
SEEDS_64 = [0, 1, 2, 42, 1234, 2**32 - 1, 2**32, 2**63 + 5, 2**64 - 1]
SEEDS_128 = [2**64, 2**127 + 12345, 2**128 - 1, 0x0123456789ABCDEF_FEDCBA9876543210]


def digest(values):
    """Order-sensitive digest of a sequence of 64-bit words.

    sum_i splitmix64_finalizer(v_i + i * golden) mod 2^64; vectorized here, a plain loop in C++.
    """
    v = np.asarray(values, dtype=np.uint64)
    i = np.arange(len(v), dtype=np.uint64)
    z = v + i * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return int(np.sum(z, dtype=np.uint64))


def mix64(z):
    """splitmix64's finalizer on a Python int; picks the ops of the interleaving programs."""
    z &= M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def program(pool, ops_seed, count):
    """Op k of an interleaving program is pool[mix64(ops_seed + k) % len(pool)]."""
    return [pool[mix64(ops_seed + k) % len(pool)] for k in range(count)]


def f64_bits(x):
    return np.asarray(x, dtype=np.float64).view(np.uint64)


def i64_bits(x):
    return np.asarray(x, dtype=np.int64).view(np.uint64)


def hexf(x):
    return float(x).hex()


def gen(seed):
    """What Gymnasium's seeding.np_random(seed) and np.random.default_rng(seed) build."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


def next32(bitgen):
    return int(bitgen.ctypes.next_uint32(bitgen.ctypes.state))


def next64(bitgen):
    return int(bitgen.ctypes.next_uint64(bitgen.ctypes.state))


# ----------------------------------------------------------------------------------------------
# Generator / PCG64 / SeedSequence


def seed_sequence_cases():
    cases = []
    keyed_seeds = [0, 42, 2**64 - 1, 2**127 + 12345]
    for seed in SEEDS_64 + SEEDS_128:
        keys = [[]] + ([[0], [3, 7], [2**32 - 1], [1, 2, 3, 4, 5]] if seed in keyed_seeds else [])
        for key in keys:
            ss = np.random.SeedSequence(seed, spawn_key=key)
            s32 = ss.generate_state(37, np.uint32)
            s64 = ss.generate_state(9, np.uint64)
            case = {"entropy": hex(seed), "spawn_key": key, "state32_37": digest(s32),
                    "state64_9": digest(s64)}
            if not key:
                case["state32_first"] = [int(x) for x in s32[:4]]
                case["state64_first"] = [int(x) for x in s64[:2]]
            cases.append(case)
    return cases


def pcg_seed_cases():
    cases = []
    for seed in SEEDS_64 + SEEDS_128:
        g = gen(seed)
        st = g.bit_generator.state["state"]
        cases.append({"seed": hex(seed), "state": hex(st["state"]), "inc": hex(st["inc"])})
    # Sanity: default_rng builds the same thing.
    assert np.random.default_rng(42).random() == gen(42).random()
    return cases


def raw_cases():
    cases = []
    for seed in SEEDS_64 + SEEDS_128:
        bg = np.random.PCG64(np.random.SeedSequence(seed))
        u64 = bg.random_raw(20000)
        bg = np.random.PCG64(np.random.SeedSequence(seed))
        u32 = [next32(bg) for _ in range(5001)]  # odd count: ends with a half-used word
        st = bg.state
        g = gen(seed)
        r = g.random(20000)
        cases.append({
            "seed": hex(seed),
            "u64_first": [int(x) for x in u64[:3]],
            "u64_20000": digest(u64),
            "u32_first": u32[:4],
            "u32_5001": digest(u32),
            "u32_end_state": {"state": hex(st["state"]["state"]), "inc": hex(st["state"]["inc"]),
                              "has_uint32": st["has_uint32"], "uinteger": st["uinteger"]},
            "random_first": [hexf(x) for x in r[:4]],
            "random_20000": digest(f64_bits(r)),
        })
    return cases


def uniform_cases():
    ranges = [(0.0, 1.0), (-0.05, 0.05), (-4.8, 4.8), (2.5, 2.5), (-3.0, -1.0), (1e-300, 2e-300),
              (-1e300, 1e300), (0.0, 1e-320), (-2.0 * np.pi, 2.0 * np.pi), (100.0, 100.5)]
    cases = []
    for k, (lo, hi) in enumerate(ranges):
        g = gen(SEEDS_64[k % len(SEEDS_64)])
        seed = SEEDS_64[k % len(SEEDS_64)]
        out = [g.uniform(lo, hi) for _ in range(2000)]
        cases.append({"seed": hex(seed), "low": hexf(lo), "high": hexf(hi),
                      "first": [hexf(x) for x in out[:3]], "digest_2000": digest(f64_bits(out))})
    errors = []
    for lo, hi in [(1.0, 0.0), (0.0, -0.0), (-1e308, 1e308), (0.0, float("inf")),
                   (float("nan"), 1.0), (0.0, float("nan"))]:
        try:
            gen(0).uniform(lo, hi)
            raised = False
        except (ValueError, OverflowError):
            raised = True
        errors.append({"low": hexf(lo), "high": hexf(hi), "raises": raised})
    return cases, errors


# (low, high) for integers(low, high) with endpoint=False; spans hit every branch of
# random_bounded_uint64_fill: rng == 0, 32-bit Lemire, rng == 0xFFFFFFFF, 64-bit Lemire.
INT_RANGES = [
    (0, 1), (5, 6), (-7, -6), (0, 2), (0, 3), (0, 13), (-5, 8), (0, 100), (-1000, 1000),
    (0, 2**31), (0, 2**31 + 1), (-2**31, 2**31), (0, 2**32 - 1), (0, 2**32), (-3, 2**32 - 3),
    (0, 2**32 + 1), (-2**32, 2**32), (0, 2**33), (0, 2**40), (-2**40, 7), (0, 2**62 + 3),
    (0, 2**63 - 1), (-2**63, 0), (-2**63, 2**63 - 1), (-2**63, -2**63 + 1), (2**63 - 2, 2**63 - 1),
    (-2**62, 2**62), (0, 3 * 2**61),
]
# integers(low, high, endpoint=True): the rng == 0xFFFF...F (full 64-bit range) branch too.
INT_CLOSED_RANGES = [(0, 0), (0, 1), (0, 12), (0, 2**32 - 1), (-2**31, 2**31 - 1), (0, 2**32),
                     (-2**63, 2**63 - 1), (-2**63, 2**63 - 2), (-1, 2**63 - 1)]


def integer_cases():
    cases = []
    for k, (lo, hi) in enumerate(INT_RANGES):
        seed = SEEDS_64[k % len(SEEDS_64)]
        g = gen(seed)
        out = [int(g.integers(lo, hi)) for _ in range(3000)]
        # The next random() shows whether a half-used 32-bit word is left buffered.
        after = g.random()
        cases.append({"seed": hex(seed), "low": lo, "high": hi, "endpoint": False,
                      "first": out[:4], "digest_3000": digest(i64_bits(out)),
                      "random_after": hexf(after)})
    for k, (lo, hi) in enumerate(INT_CLOSED_RANGES):
        seed = SEEDS_64[(k + 3) % len(SEEDS_64)]
        g = gen(seed)
        out = [int(g.integers(lo, hi, endpoint=True)) for _ in range(3000)]
        after = g.random()
        cases.append({"seed": hex(seed), "low": lo, "high": hi, "endpoint": True,
                      "first": out[:4], "digest_3000": digest(i64_bits(out)),
                      "random_after": hexf(after)})
    # A vectorized call (size=) must equal repeated scalar calls; the C++ side only has scalars.
    g1, g2 = gen(7), gen(7)
    assert list(g1.integers(0, 13, size=100)) == [g2.integers(0, 13) for _ in range(100)]
    errors = []
    for lo, hi in [(0, 0), (5, 5), (5, 4), (0, -1)]:
        try:
            gen(0).integers(lo, hi)
            raised = False
        except ValueError:
            raised = True
        errors.append({"low": lo, "high": hi, "raises": raised})
    return cases, errors


PROBS = [
    [0.5, 0.5],
    [0.1, 0.2, 0.7],
    [0.0, 0.5, 0.0, 0.5, 0.0],
    [1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0],
    [1.0 / 3.0] * 3,
    [1.0 / 7.0] * 7,
    [0.25, 0.0, 0.0, 0.25, 0.5, 0.0],
    [1.0],
    [1e-12, 1.0 - 1e-12],
    [0.3, 0.3, 0.4 + 1e-9],  # sums to 1 within atol: accepted, renormalized by cdf[-1]
]


def choice_cases():
    rs = np.random.RandomState(99)
    PROBS.append(list(rs.dirichlet(np.ones(10))))
    PROBS.append(list(rs.dirichlet(0.1 * np.ones(40))))
    cases = []
    for k, n in enumerate([1, 2, 3, 5, 18, 1000, 2**31 + 1, 2**33]):
        seed = SEEDS_64[k % len(SEEDS_64)]
        g = gen(seed)
        out = [int(g.choice(n)) for _ in range(2000)]
        cases.append({"seed": hex(seed), "n": n, "first": out[:4],
                      "digest_2000": digest(i64_bits(out))})
    pcases = []
    for k, p in enumerate(PROBS):
        seed = SEEDS_64[k % len(SEEDS_64)]
        g = gen(seed)
        out = [int(g.choice(len(p), p=p)) for _ in range(2000)]
        pcases.append({"seed": hex(seed), "p": [hexf(x) for x in p], "first": out[:6],
                       "digest_2000": digest(i64_bits(out))})
    errors = []
    # The tolerance is sqrt(eps) ~ 1.49e-8 on the Kahan sum: 2e-8 off raises, 1e-8 off does not.
    for p in [[0.5, 0.4], [-0.1, 1.1], [float("nan"), 1.0], [0.5, 0.5 + 1e-7], [],
              [0.5, 0.5 + 1e-9], [0.5, 0.5 + 2e-8], [0.5, 0.5 + 1e-8], [0.5, 0.5 - 2e-8]]:
        try:
            gen(0).choice(len(p), p=p)
            raised = False
        except ValueError:
            raised = True
        errors.append({"p": [hexf(x) for x in p], "raises": raised})
    return cases, pcases, errors


PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645


def state_for_next_uint64(inc, out):
    """A PCG64 state whose next 64-bit output is `out`.

    Takes the post-step state hi = 0, lo = out (rotation 0, output hi ^ lo = out) and undoes
    the LCG step: pre = (post - inc) * mult^-1 mod 2^128.
    """
    m128 = (1 << 128) - 1
    return ((out - inc) * pow(PCG_MULT, -1, 1 << 128)) & m128


def choice_edge_cases():
    """choice(p) when random() hits a cdf value exactly: side='right' must skip past it (and so
    never picks a zero-probability entry, even for u = 0.0)."""
    cases = []
    for u_bits, p in [(1 << 63, [0.5, 0.5]), (1 << 63, [0.25, 0.25, 0.5]),
                      (0, [0.0, 0.5, 0.5]), (0, [0.0, 0.0, 1.0]), (1 << 62, [0.25, 0.0, 0.75]),
                      (0, [1.0])]:
        g = gen(0)
        inc = g.bit_generator.state["state"]["inc"]
        st = state_for_next_uint64(inc, u_bits)
        g.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": st, "inc": inc},
                                 "has_uint32": 0, "uinteger": 0}
        g2 = gen(0)
        g2.bit_generator.state = g.bit_generator.state
        r = g2.random()
        idx = int(g.choice(len(p), p=p))
        cases.append({"state": hex(st), "inc": hex(inc), "random": hexf(r),
                      "p": [hexf(x) for x in p], "index": idx})
    return cases


def normal_cases():
    cases = []
    for seed in SEEDS_64 + SEEDS_128[:2]:
        g = gen(seed)
        out = g.standard_normal(100000)
        cases.append({"seed": hex(seed), "first": [hexf(x) for x in out[:5]],
                      "digest_100000": digest(f64_bits(out))})
    # Long streams: every ziggurat layer, many wedge (fi) and tail rejections.
    long_cases = []
    for seed in [3, 2**64 - 1]:
        g = gen(seed)
        out = g.standard_normal(2000000)
        long_cases.append({"seed": hex(seed), "n": 2000000, "digest": digest(f64_bits(out)),
                           "min": hexf(out.min()), "max": hexf(out.max())})
    # Scalar calls consume the same stream as the vectorized fill.
    g1, g2 = gen(11), gen(11)
    assert list(g1.standard_normal(50)) == [g2.standard_normal() for _ in range(50)]
    return cases, long_cases


def interleave_cases():
    """Mixed call sequences: the has_uint32 buffer must survive 64-bit draws in between."""
    ops_pool = [
        ["int", 0, 13], ["int", 0, 2], ["int", -5, 5], ["int", 0, 2**40], ["int", 0, 2**32],
        ["rand"], ["u64"], ["u32"], ["normal"], ["uniform", hexf(-0.05), hexf(0.05)],
        ["choice", 5], ["choice", 2**33], ["choicep", 1], ["choicep", 2],
    ]
    # A fixed prefix for the hand-checked cases, then a pseudo-random program.
    prefix = [["int", 0, 13], ["rand"], ["u32"], ["u64"], ["u32"], ["int", 0, 13],
              ["int", 0, 13], ["normal"], ["int", 0, 13]]
    cases = []
    for k, seed in enumerate([0, 1, 42, 2**63 + 5]):
        ops_seed, count = 1000 * k, 1000
        ops = prefix + program(ops_pool, ops_seed, count)
        g = gen(seed)
        bg = g.bit_generator
        words = []
        for op in ops:
            if op[0] == "int":
                words.append(int(np.int64(g.integers(op[1], op[2])).view(np.uint64)))
            elif op[0] == "rand":
                words.append(int(f64_bits(g.random())))
            elif op[0] == "u64":
                words.append(next64(bg))
            elif op[0] == "u32":
                words.append(next32(bg))
            elif op[0] == "normal":
                words.append(int(f64_bits(g.standard_normal())))
            elif op[0] == "uniform":
                words.append(int(f64_bits(g.uniform(float.fromhex(op[1]),
                                                    float.fromhex(op[2])))))
            elif op[0] == "choice":
                words.append(int(g.choice(op[1])))
            elif op[0] == "choicep":
                p = PROBS[op[1]]
                words.append(int(g.choice(len(p), p=p)))
        st = bg.state
        cases.append({"seed": hex(seed), "ops_seed": ops_seed, "ops_count": count,
                      "words_first": words[:9],
                      "digest": digest(words),
                      "end_state": {"state": hex(st["state"]["state"]),
                                    "inc": hex(st["state"]["inc"]),
                                    "has_uint32": st["has_uint32"],
                                    "uinteger": st["uinteger"]}})
    return {"ops_pool": ops_pool, "prefix": prefix, "cases": cases}


def spawn_cases():
    cases = []
    for seed in [0, 42, 2**64 - 1, 2**127 + 12345]:
        ss = np.random.SeedSequence(seed)
        first = ss.spawn(3)
        second = ss.spawn(2)  # continues at spawn_key (3,), (4,)
        grand = first[1].spawn(2)  # spawn_key (1, 0), (1, 1)
        children = []
        for child in first + second + grand:
            g = np.random.Generator(np.random.PCG64(child))
            st = g.bit_generator.state["state"]
            r = g.random(100)
            children.append({"spawn_key": list(child.spawn_key), "state": hex(st["state"]),
                             "random_first": hexf(r[0]),
                             "random_100": digest(f64_bits(r))})
        # NumPy >= 1.25 Generator.spawn(n) == [Generator(PCG64(s)) for s in seed_seq.spawn(n)];
        # spawning does not touch the parent's stream.
        g = gen(seed)
        before = g.random()
        g.bit_generator._seed_seq.spawn(3)
        after = g.random()
        cases.append({"seed": hex(seed), "children": children, "parent_random_0": hexf(before),
                      "parent_random_1": hexf(after)})
    return cases


# ----------------------------------------------------------------------------------------------
# Legacy RandomState (MT19937)

LEGACY_SEEDS = [0, 1, 42, 123456789, 2**31, 2**32 - 1]


def legacy_cases():
    out = {"numpy_version": np.__version__}
    seeding = []
    for seed in LEGACY_SEEDS:
        rs = np.random.RandomState(seed)
        key = rs.get_state()[1]
        bg = rs._bit_generator
        u32 = [next32(bg) for _ in range(2000)]
        rs = np.random.RandomState(seed)
        r = [rs.rand() for _ in range(5000)]
        seeding.append({"seed": seed, "key_first": [int(x) for x in key[:4]],
                        "key_digest": digest(key.astype(np.uint64)),
                        "u32_first": u32[:4], "u32_2000": digest(u32),
                        "rand_first": [hexf(x) for x in r[:4]], "rand_5000": digest(f64_bits(r))})
    out["seeding"] = seeding
    arrays = []
    # Seed arrays: given explicitly, or as {"range": n} for list(range(n)).
    for arr in [[0], [1, 2, 3], [2**32 - 1, 0, 7], {"range": 700}, {"range": 624}]:
        rs = np.random.RandomState(list(range(arr["range"])) if isinstance(arr, dict) else arr)
        key = rs.get_state()[1]
        r = [rs.rand() for _ in range(1000)]
        arrays.append({"seed_array": arr, "key_first": [int(x) for x in key[:4]],
                       "key_digest": digest(key.astype(np.uint64)),
                       "rand_first": [hexf(x) for x in r[:2]], "rand_1000": digest(f64_bits(r))})
    out["seed_arrays"] = arrays
    ints = []
    for k, (lo, hi) in enumerate(INT_RANGES):
        seed = LEGACY_SEEDS[k % len(LEGACY_SEEDS)]
        rs = np.random.RandomState(seed)
        vals = [int(rs.randint(lo, hi)) for _ in range(3000)]
        after = rs.rand()
        ints.append({"seed": seed, "low": lo, "high": hi, "first": vals[:4],
                     "digest_3000": digest(i64_bits(vals)), "rand_after": hexf(after)})
    out["randint"] = ints
    choices = []
    for k, n in enumerate([1, 2, 3, 5, 18, 1000, 2**31 + 1, 2**33]):
        seed = LEGACY_SEEDS[k % len(LEGACY_SEEDS)]
        rs = np.random.RandomState(seed)
        population = list(range(n)) if n <= 1000 else None
        vals = []
        for _ in range(2000):
            # MinAtar picks from a list: choice(list) draws the index exactly as choice(len).
            vals.append(int(rs.choice(population)) if population else int(rs.choice(n)))
        choices.append({"seed": seed, "n": n, "first": vals[:4],
                        "digest_2000": digest(i64_bits(vals))})
    out["choice"] = choices
    pchoices = []
    for k, p in enumerate(PROBS):
        seed = LEGACY_SEEDS[k % len(LEGACY_SEEDS)]
        rs = np.random.RandomState(seed)
        vals = [int(rs.choice(len(p), p=p)) for _ in range(2000)]
        pchoices.append({"seed": seed, "p": [hexf(x) for x in p], "first": vals[:6],
                         "digest_2000": digest(i64_bits(vals))})
    out["choice_p"] = pchoices
    # Interleaved calls, MinAtar style.
    ops_pool = [["rand"], ["randint", 0, 10], ["randint", -3, 3], ["randint", 0, 2**40],
                ["choice", 4], ["choice", 2], ["u32"]]
    inter = []
    for k, seed in enumerate([0, 5, 2**32 - 1]):
        ops_seed, count = 77 + 1000 * k, 1500
        ops = program(ops_pool, ops_seed, count)
        rs = np.random.RandomState(seed)
        bg = rs._bit_generator
        words = []
        for op in ops:
            if op[0] == "rand":
                words.append(int(f64_bits(rs.rand())))
            elif op[0] == "randint":
                words.append(int(np.int64(rs.randint(op[1], op[2])).view(np.uint64)))
            elif op[0] == "choice":
                words.append(int(rs.choice(list(range(op[1])))))
            elif op[0] == "u32":
                words.append(next32(bg))
        st = rs.get_state()
        inter.append({"seed": seed, "ops_seed": ops_seed, "ops_count": count,
                      "words_first": words[:6], "digest": digest(words),
                      "end_pos": int(st[2]), "end_key_digest": digest(st[1].astype(np.uint64))})
    out["interleave"] = {"ops_pool": ops_pool, "cases": inter}
    errors = []
    for lo, hi in [(0, 0), (3, 2)]:
        try:
            np.random.RandomState(0).randint(lo, hi)
            raised = False
        except ValueError:
            raised = True
        errors.append({"low": lo, "high": hi, "raises": raised})
    out["randint_errors"] = errors
    return out


# ----------------------------------------------------------------------------------------------


def write_ziggurat_header(src_path):
    text = open(src_path).read()

    def table(name):
        m = re.search(r"static const \w+ %s\[\] = \{(.*?)\};" % name, text, re.S)
        return [t.strip() for t in m.group(1).split(",") if t.strip()]

    ki = [int(t.rstrip("ULL"), 16) for t in table("ki_double")]
    wi = [float(t) for t in table("wi_double")]
    fi = [float(t) for t in table("fi_double")]
    assert len(ki) == len(wi) == len(fi) == 256
    nor_r = float(re.search(r"ziggurat_nor_r = ([0-9.e+-]+);", text).group(1))
    nor_inv_r = float(re.search(r"ziggurat_nor_inv_r =\s*([0-9.e+-]+);", text).group(1))
    # Exactness of the conversion: hex literals round-trip, and the decimal literals in NumPy's
    # header (21 significant digits) determine their doubles uniquely.
    assert all(float.fromhex(x.hex()) == x for x in wi + fi)
    lines = [
        "// Ziggurat tables of NumPy's random_standard_normal (256 layers, 52-bit mantissa draws).",
        "//",
        "// GENERATED by tests/data/gen_numpy_rng.py --ziggurat-from <numpy>/numpy/random/src/",
        "// distributions/ziggurat_constants.h (NumPy v1.24.2); do not edit. The values are NumPy's",
        "// decimal literals written as exact hex-float literals. They are copied rather than",
        "// recomputed because NumPy's own tables differ in the last bits from what the",
        "// Marsaglia-Tsang recurrence gives in double (or exact) arithmetic, and Rng must draw the",
        "// same normals as NumPy bit for bit.",
        "#pragma once",
        "",
        "#include <array>",
        "#include <cstdint>",
        "",
        "namespace bellman::ziggurat {",
        "",
        "inline constexpr double kNorR = %s;  // %r" % (nor_r.hex(), nor_r),
        "inline constexpr double kNorInvR = %s;  // %r" % (nor_inv_r.hex(), nor_inv_r),
        "",
        "inline constexpr std::array<uint64_t, 256> kKi = {",
        ", ".join("0x%013XULL" % x for x in ki) + "};",
        "",
        "inline constexpr std::array<double, 256> kWi = {",
        ", ".join(x.hex() for x in wi) + "};",
        "",
        "inline constexpr std::array<double, 256> kFi = {",
        ", ".join(x.hex() for x in fi) + "};",
        "",
        "}  // namespace bellman::ziggurat",
        "",
    ]
    dst = os.path.join(HERE, "..", "..", "src", "core", "ziggurat_tables.h")
    with open(dst, "w") as f:
        f.write("\n".join(lines))
    try:
        subprocess.run(["clang-format", "-i", "-style=file", dst], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("clang-format failed:", e, file=sys.stderr)
    print("wrote", os.path.normpath(dst))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ziggurat-from", help="path to NumPy's ziggurat_constants.h")
    args = ap.parse_args()
    if args.ziggurat_from:
        write_ziggurat_header(args.ziggurat_from)
        return
    if not np.__version__.startswith("1.24."):
        sys.exit("expected NumPy 1.24 (Debian /usr/bin/python3), got " + np.__version__)

    ref = {"numpy_version": np.__version__}
    ref["seed_sequence"] = seed_sequence_cases()
    ref["pcg64_seeding"] = pcg_seed_cases()
    ref["raw"] = raw_cases()
    ref["uniform"], ref["uniform_errors"] = uniform_cases()
    ref["integers"], ref["integers_errors"] = integer_cases()
    ref["choice"], ref["choice_p"], ref["choice_p_errors"] = choice_cases()
    ref["choice_p_edges"] = choice_edge_cases()
    ref["standard_normal"], ref["standard_normal_long"] = normal_cases()
    ref["interleave"] = interleave_cases()
    ref["spawn"] = spawn_cases()
    for name, data in [("numpy_rng.json", ref), ("numpy_legacy_rng.json", legacy_cases())]:
        path = os.path.join(HERE, name)
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
            f.write("\n")
        print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
