// Regenerates hf-trainer-golden-merges.txt with Hugging Face tokenizers itself (not verbo's code):
//   npm install tokenizers@0.23.2
//   node hf-trainer-golden.js corpus-train.txt out.json
//   python3 -c "import json;m=json.load(open('out.json'))['model']['merges'];open('hf-trainer-golden-merges.txt','w').write(''.join(a+' '+b+'\n' for a,b in m))"
// The node binding's train() uses BPE's default BpeTrainer (min_frequency 0, vocab 30000, no special
// tokens, no initial alphabet) and reads the file as lines with their endings.
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const json = {
  version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex: GPT2 }, behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false } ] },
  post_processor: null,
  decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
  model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
           fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: {}, merges: [] } };
const tok = Tokenizer.fromString(JSON.stringify(json));
tok.train([process.argv[2]]);
tok.save(process.argv[3], true);
