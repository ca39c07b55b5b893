package org.verbo.jobs.prepare;

import org.verbo.prep.io.InputFormat;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Options that apply to some input formats only, checked against the listed inputs before Spark starts: one given
 * on the command line that would do nothing fails with one line instead of being ignored. A {@code --conf} file
 * is not checked (one file serves runs over different formats), except for {@code id_col}, which changes the ids
 * written.
 *
 * <ul>
 *   <li>{@code --id-col}: every input file must have fields (JSONL, Parquet). A text or HTML file among them would
 *       get positional ids beside user ids, silently.</li>
 *   <li>{@code prepare.missing_id}: only with {@code --id-col}.</li>
 *   <li>{@code --text-col} (Parquet), {@code reader.json_text_field} (JSONL), {@code reader.text_split} (text),
 *       {@code reader.fallback_charset} and {@code reader.max_document_bytes} (text, JSONL, HTML): at least one input
 *       file of a format the option applies to (in a mixed input each format uses its own options).</li>
 * </ul>
 */
final class InputOptions {

    private InputOptions() {
    }

    static void requireApplicable(PrepareSettings s, List<InputFile> files) {
        Set<String> given = s.commandLineKeys();
        if (!s.idCol().isEmpty()) { // from a --conf file too: ids are data, a silent mix of kinds is never wanted
            List<InputFile> noFields = files.stream()
                    .filter(f -> f.format() == InputFormat.TEXT || f.format() == InputFormat.HTML).toList();
            if (!noFields.isEmpty()) {
                throw new IllegalArgumentException("--id-col applies to JSONL and Parquet inputs, but " + noFields.size()
                        + " of the " + files.size() + " input files are text or HTML, which have no id field (e.g. "
                        + noFields.get(0).path() + "); drop --id-col or narrow --input");
            }
        }
        if (given.contains("prepare.missing_id") && s.idCol().isEmpty()) {
            throw new IllegalArgumentException("--prepare.missing_id applies only with --id-col (without it every id is "
                    + "positional, <file>#<index>, and never missing)");
        }
        requireFormat(given, files, "prepare.text_col", "--text-col", EnumSet.of(InputFormat.PARQUET));
        requireFormat(given, files, "prepare.reader.json_text_field", "--prepare.reader.json_text_field",
                EnumSet.of(InputFormat.JSONL));
        requireFormat(given, files, "prepare.reader.text_split", "--prepare.reader.text_split",
                EnumSet.of(InputFormat.TEXT));
        Set<InputFormat> readByVerbo = EnumSet.of(InputFormat.TEXT, InputFormat.JSONL, InputFormat.HTML);
        requireFormat(given, files, "prepare.reader.fallback_charset", "--prepare.reader.fallback_charset", readByVerbo);
        requireFormat(given, files, "prepare.reader.max_document_bytes", "--prepare.reader.max_document_bytes", readByVerbo);
    }

    private static void requireFormat(Set<String> given, List<InputFile> files, String key, String option,
                                      Set<InputFormat> formats) {
        if (!given.contains(key) || files.stream().anyMatch(f -> formats.contains(f.format()))) {
            return;
        }
        Set<InputFormat> found = EnumSet.noneOf(InputFormat.class);
        files.forEach(f -> found.add(f.format()));
        throw new IllegalArgumentException(option + " applies to " + names(formats) + " inputs, but the inputs are "
                + names(found) + " only");
    }

    private static String names(Set<InputFormat> formats) {
        return String.join("/", formats.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).toList());
    }
}
