package org.verbo.prep.io;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * An iterator that computes its next element ahead, on {@link #hasNext()}: subclasses give {@link #computeNext()},
 * null at the end (elements are never null). Why by hand: the readers' records ({@link DocumentReader}) and the prepare
 * job's streams (a file's rows, a partition's decided rows, a read task's files, batches of signatures) each wrote this
 * hasNext/next pair themselves; Guava's AbstractIterator does the same, but Spark shades its Guava away from us and
 * data-prep has no Guava.
 */
public abstract class Lookahead<T> implements Iterator<T> {
    private T next;
    private boolean ended;

    /** The next element, or null when there is none (then not called again). */
    protected abstract T computeNext();

    @Override
    public final boolean hasNext() {
        if (next == null && !ended) {
            next = computeNext();
            ended = next == null;
        }
        return next != null;
    }

    @Override
    public final T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T t = next;
        next = null;
        return t;
    }

    /** The elements of each iterator {@code chunks} gives, in turn, until it gives null; each chunk asked for lazily. */
    public static <T> Iterator<T> chained(Supplier<Iterator<T>> chunks) {
        return new Lookahead<>() {
            private Iterator<T> current = java.util.Collections.emptyIterator();

            @Override
            protected T computeNext() {
                while (!current.hasNext()) {
                    current = chunks.get();
                    if (current == null) {
                        return null;
                    }
                }
                return current.next();
            }
        };
    }
}
