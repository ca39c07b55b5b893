package org.verbo.prep.pack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequencePackerTest {

    @Test
    void packsDocumentsWithEosIntoBlocksByHand() {
        List<int[]> blocks = new ArrayList<>();
        SequencePacker p = new SequencePacker(4, 0, blocks::add);
        p.addDocument(new int[] {1, 2, 3});
        p.addDocument(new int[] {4, 5});
        p.addDocument(new int[] {6, 7, 8, 9, 10});
        // stream: 1 2 3 0 | 4 5 0 6 | 7 8 9 10 | 0  -> three blocks, the final eos is the tail
        assertEquals(3, blocks.size());
        assertArrayEquals(new int[] {1, 2, 3, 0}, blocks.get(0));
        assertArrayEquals(new int[] {4, 5, 0, 6}, blocks.get(1));
        assertArrayEquals(new int[] {7, 8, 9, 10}, blocks.get(2));
        assertEquals(3, p.blocks());
        assertEquals(13, p.tokens());
        assertEquals(1, p.droppedTailTokens());
        assertEquals(3, p.documents());
        assertEquals(p.tokens(), p.blocks() * 4 + p.droppedTailTokens());
        assertNotSame(blocks.get(0), blocks.get(1));
    }

    @Test
    void longDocumentSpansBlocksAndEmptyDocumentIsJustEos() {
        List<int[]> blocks = new ArrayList<>();
        SequencePacker p = new SequencePacker(3, 9, blocks::add);
        p.addDocument(new int[] {1, 2, 3, 4, 5, 6, 7});
        p.addDocument(new int[0]);
        // stream: 1 2 3 | 4 5 6 | 7 9 9
        assertEquals(3, blocks.size());
        assertArrayEquals(new int[] {7, 9, 9}, blocks.get(2));
        assertEquals(0, p.droppedTailTokens());
        assertEquals(9, p.tokens());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new SequencePacker(1, 0, b -> { }));
        assertThrows(IllegalArgumentException.class, () -> new SequencePacker(8, -1, b -> { }));
    }
}
