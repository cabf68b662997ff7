/** RTMP chunk stream (RTMP 1.0 §5.3): one import for the decoder, the encoder and the assembler. */
export * from "./chunk-header.ts";
export * from "./chunk-decoder.ts";
export * from "./chunk-encoder.ts";
export * from "./message-assembler.ts";
