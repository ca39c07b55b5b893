package org.verbo.models.train;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * An endless stream of training blocks: passes over the supplier's iterator again and again (epochs), counting its
 * position so that a resumed run skips exactly the blocks the interrupted run consumed.
 */
public final class BlockStream implements Iterator<int[]> {
    private final Supplier<Iterator<int[]>> source;
    private Iterator<int[]> current;
    private long epoch;
    private long indexInEpoch;

    public BlockStream(Supplier<Iterator<int[]>> source) {
        this.source = source;
        this.current = source.get();
    }

    /** Advances to (epoch, indexInEpoch) from the start by reading and dropping blocks. */
    public void skipTo(long targetEpoch, long targetIndex) {
        while (epoch < targetEpoch || (epoch == targetEpoch && indexInEpoch < targetIndex)) {
            next();
        }
    }

    public long epoch() {
        return epoch;
    }

    public long indexInEpoch() {
        return indexInEpoch;
    }

    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public int[] next() {
        if (!current.hasNext()) {
            if (indexInEpoch == 0) {
                throw new NoSuchElementException("the training data yields no blocks");
            }
            current = source.get();
            epoch++;
            indexInEpoch = 0;
            if (!current.hasNext()) {
                throw new NoSuchElementException("the training data yields no blocks on pass " + (epoch + 1));
            }
        }
        indexInEpoch++;
        return current.next();
    }
}
