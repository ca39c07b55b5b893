package org.verbo.models.train.sync;

/**
 * Which training block each position of an endless, epoch-shuffled stream is, and which positions worker k trains on
 * in round r. Epoch e is a seeded permutation of the B blocks, different in every epoch; position p is block
 * {@code permutation(p / B)(p mod B)}. Round r covers positions [r H N b, (r+1) H N b) with b blocks per step
 * (micro-batch x accumulation), worker k the k-th slice of it: a task computes its own blocks from (seed, r, k)
 * alone, so the same worker of the same round gets the same blocks on any executor, in any attempt.
 *
 * <p>The permutation is computed, not stored: a 4-round Feistel network on the smallest even number of bits that
 * covers B, with cycle walking back into [0, B) (Black and Rogaway 2002, "Ciphers with Arbitrary Finite Domains").
 * A list of B shuffled indexes would cost 8 B bytes per epoch on every executor; at 10^8 blocks that is 800 MB.
 */
public final class BlockPlan {
    private static final int ROUNDS = 4;
    private final long blocks;
    private final long seed;
    private final int halfBits;
    private final long halfMask;

    public BlockPlan(long blocks, long seed) {
        if (blocks < 1) {
            throw new IllegalArgumentException("a block plan needs at least one block, got " + blocks);
        }
        this.blocks = blocks;
        this.seed = seed;
        int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(blocks - 1));
        if ((bits & 1) == 1) {
            bits++;
        }
        this.halfBits = bits / 2;
        this.halfMask = (1L << halfBits) - 1;
    }

    public long blocks() {
        return blocks;
    }

    /** The block at stream position {@code position} (0-based, across epochs). */
    public long blockAt(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, got " + position);
        }
        return permute(position / blocks, position % blocks);
    }

    /** Element {@code i} of epoch {@code epoch}'s permutation of [0, B). */
    public long permute(long epoch, long i) {
        long x = i;
        do {
            x = feistel(epoch, x);
        } while (x >= blocks);   // cycle walking: at most 4x the domain, so ~2 tries on average
        return x;
    }

    private long feistel(long epoch, long x) {
        long left = x >>> halfBits;
        long right = x & halfMask;
        for (int r = 0; r < ROUNDS; r++) {
            long f = mix(right ^ mix(seed ^ mix(epoch * ROUNDS + r + 0x632BE59BD9B4E019L))) & halfMask;
            long next = left ^ f;
            left = right;
            right = next;
        }
        return (left << halfBits) | right;
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood 2014): a cheap bijective 64-bit mixer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * First stream position of worker {@code k} in round {@code r}, for rounds of {@code localSteps} steps (every round
     * before r is whole), {@code workers} workers, {@code blocksPerStep} blocks per step and {@code stepsThisRound}
     * steps in round r.
     */
    public static long firstPosition(long r, int k, int workers, int localSteps, int blocksPerStep, int stepsThisRound) {
        return r * localSteps * (long) workers * blocksPerStep + (long) k * stepsThisRound * blocksPerStep;
    }
}
