/** Role of a tensor in a transformer checkpoint, from its name. */
export type TensorKind = 'embedding' | 'lm_head' | 'norm' | 'bias' | 'linear' | 'other';

/** What a tensor name says about where it sits. */
export interface TensorRole {
  /** Transformer block index, or null for tensors outside the blocks. */
  layer: number | null;
  /** Module path inside the block with the parameter suffix dropped, e.g. `self_attn.q_proj`, `mlp.c_fc`. */
  module: string;
  kind: TensorKind;
}

// Block containers of Llama/Mistral/Qwen/Gemma (`model.layers.N`), GPT-2 (`transformer.h.N`),
// GPT-NeoX/BERT/T5/ViT-style (`layers.N`, `layer.N`, `blocks.N`, `block.N`) and GGUF (`blk.N`).
const LAYER = /(?:^|\.)(?:layers|layer|h|blocks|block|blk|decoder\.layers|encoder\.layers)\.(\d+)\./;
const EMBEDDING =
  /(?:^|\.)(embed_tokens|wte|word_embeddings|tok_embeddings|embed_in|token_embd|shared|embeddings\.word_embeddings)(?:\.|$)/;
const LM_HEAD = /(?:^|\.)(lm_head|embed_out|output)\.weight$/;
const NORM =
  /(?:^|\.|_)(norm|ln_\w+|ln\d*|layernorm|layer_norm|rmsnorm|input_layernorm|post_attention_layernorm|pre_feedforward_layernorm|post_feedforward_layernorm|ln_f|final_layer_norm|q_norm|k_norm|attn_norm|ffn_norm)(?:\.|$)/i;

/** Parses a tensor name (PEFT prefixes like `base_model.model.` are tolerated). */
export function tensorRole(name: string): TensorRole {
  const m = LAYER.exec(name);
  const layer = m ? Number(m[1]) : null;
  const rest = m ? name.slice((m.index ?? 0) + m[0].length) : name;
  const module = rest
    .replace(/\.(weight|bias|lora_A|lora_B|lora_magnitude_vector)(\.(weight|default))*$/, '')
    .replace(/\.(weight|bias)$/, '');
  let kind: TensorKind = 'other';
  if (EMBEDDING.test(name)) kind = 'embedding';
  else if (LM_HEAD.test(name)) kind = 'lm_head';
  else if (NORM.test(rest)) kind = name.endsWith('.bias') ? 'bias' : 'norm';
  else if (name.endsWith('.bias')) kind = 'bias';
  else if (name.endsWith('.weight')) kind = 'linear';
  return { layer, module, kind };
}
