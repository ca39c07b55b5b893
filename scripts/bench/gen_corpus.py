#!/usr/bin/env python3
"""Generated corpus for prepare's throughput and scale runs, with planted duplicates.

Documents are drawn from the sentences of the real Portuguese sample (scripts/fetch-sample.sh: the plain-text
Guia Foca, ISO-8859-1, and the HTML pages with their tags stripped), so they read like the sample and mostly
pass the quality filters. Each document is 6-40 sentences in paragraphs of 2-5; a seeded fraction is planted:
  exact   a byte-identical copy of an earlier document (exact dedup must drop it)
  near    an earlier document with --edit (3%) of its words replaced by other words of the sample; its 5-gram
          Jaccard with the source is about (1-e)^5 / (2 - (1-e)^5): 0.75 at 3% (below the 0.8 threshold: near dedup
          should catch only some), 0.91 at 1% (near dedup must catch nearly all)
Writes, under OUT:
  jsonl/part-NNNNN.jsonl   one {"id", "text"} object a line (prepare ... --id-col=id)
  text/part-NNNNN.txt      the same documents as plain text, one document a line (paragraphs joined with a
                           space; prepare ... --prepare.reader.text_split=line)
  planted.tsv              kind <TAB> planted id <TAB> id of the document it copies
Deterministic given --seed.
  gen_corpus.py SAMPLE_DIR OUT --mb 100 [--seed 7] [--files 16]
"""
import argparse, gzip, json, os, random, re, sys

p = argparse.ArgumentParser()
p.add_argument("sample")
p.add_argument("out")
p.add_argument("--mb", type=float, default=100)
p.add_argument("--seed", type=int, default=7)
p.add_argument("--files", type=int, default=16)
p.add_argument("--exact", type=float, default=0.02)
p.add_argument("--near", type=float, default=0.05)
p.add_argument("--edit", type=float, default=0.03, help="word substitution rate of a near copy")
a = p.parse_args()

sentences = []
for root, _, files in os.walk(a.sample):
    for f in sorted(files):
        path = os.path.join(root, f)
        if f.endswith(".txt.gz"):
            raw = gzip.open(path).read().decode("iso-8859-1")
        elif f.endswith(".html"):
            b = open(path, "rb").read()
            try:
                raw = b.decode("utf-8")
            except UnicodeDecodeError:
                raw = b.decode("iso-8859-1")
            raw = re.sub(r"(?s)<(script|style).*?</\1>", " ", raw)
            raw = re.sub(r"<[^>]+>", " ", raw)
        else:
            continue
        for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", raw)):
            # Prose, not commands: the Gopher rule wants 80% of the tokens to hold a letter.
            tokens = re.findall(r"\w+|[^\w\s]+", s)
            alpha = sum(1 for t in tokens if re.search(r"[^\W\d_]", t))
            if len(s) >= 40 and len(s.split()) >= 6 and s[-1] in ".!?" and alpha >= 0.9 * len(tokens):
                sentences.append(s)
sentences = sorted(set(sentences))
words = sorted({w for s in sentences for w in s.split() if w.isalpha()})
if not sentences:
    sys.exit("gen_corpus: no sentences under " + a.sample)
rnd = random.Random(a.seed)
os.makedirs(os.path.join(a.out, "jsonl"), exist_ok=True)
os.makedirs(os.path.join(a.out, "text"), exist_ok=True)
target = int(a.mb * 1e6)
jf = [open(os.path.join(a.out, "jsonl", "part-%05d.jsonl" % i), "w", encoding="utf-8") for i in range(a.files)]
tf = [open(os.path.join(a.out, "text", "part-%05d.txt" % i), "w", encoding="utf-8") for i in range(a.files)]
planted = open(os.path.join(a.out, "planted.tsv"), "w", encoding="utf-8")
recent = []  # (id, paragraphs) of the last documents, the pool planted copies come from
written = 0
n = 0
while written < target:
    doc_id = "g%09d" % n
    r = rnd.random()
    if recent and r < a.exact:
        src_id, paras = rnd.choice(recent)
        planted.write("exact\t%s\t%s\n" % (doc_id, src_id))
    elif recent and r < a.exact + a.near:
        src_id, src = rnd.choice(recent)
        paras = []
        for para in src:
            ws = para.split(" ")
            for i in range(len(ws)):
                if rnd.random() < a.edit:
                    ws[i] = rnd.choice(words)
            paras.append(" ".join(ws))
        planted.write("near\t%s\t%s\n" % (doc_id, src_id))
    else:
        k = rnd.randint(6, 40)
        sents = [rnd.choice(sentences) for _ in range(k)]
        paras, i = [], 0
        while i < k:
            m = rnd.randint(2, 5)
            paras.append(" ".join(sents[i:i + m]))
            i += m
        recent.append((doc_id, paras))
        if len(recent) > 2000:
            recent.pop(rnd.randrange(len(recent)))
    shard = n % a.files
    line = json.dumps({"id": doc_id, "text": "\n\n".join(paras)}, ensure_ascii=False) + "\n"
    jf[shard].write(line)
    tf[shard].write(" ".join(paras) + "\n")
    written += len(line.encode("utf-8"))
    n += 1
for f in jf + tf + [planted]:
    f.close()
print("%s: %d documents, %.1f MB of JSONL, %d sentences from the sample" % (a.out, n, written / 1e6, len(sentences)))
