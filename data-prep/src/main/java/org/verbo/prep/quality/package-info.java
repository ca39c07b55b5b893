/**
 * Heuristic document quality filters after datatrove (Gopher quality, Gopher repetition, C4,
 * FineWeb), configured by {@link org.verbo.prep.quality.QualityConfig} and run in that order by
 * {@link org.verbo.prep.quality.QualityFilters}. Input is text already normalised by {@link
 * org.verbo.prep.text.TextNormalizer}; words come from {@link org.verbo.prep.text.WordTokenizer}.
 *
 * <p>Conventions shared by all filters: "lines" are the non-blank lines of the text (the
 * normaliser's paragraph breaks {@code "\n\n"} are structure, not lines; datatrove's FineWeb filter
 * likewise sees text whose blank lines C4 already removed); "characters" are Unicode code points,
 * as Python's {@code len}.
 */
package org.verbo.prep.quality;
